// In-memory datasets: features as one contiguous float buffer, plus class labels or regression
// targets. No LibTorch here; the trainer wraps the buffers as tensors once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace descent::data {

enum class Task { classification, regression };

struct Dataset {
  std::string name;
  Task task = Task::classification;
  std::vector<std::int64_t> sample_shape;  // {1, 28, 28} for images, {d} for vectors
  std::vector<float> features;             // size() * sample_size(), row-major
  std::vector<std::int64_t> labels;        // classification: labels_per_sample class indices per sample
  std::int64_t labels_per_sample = 1;      // > 1 for sequences: a next token per position
  std::vector<float> targets;              // regression: one target per sample
  std::int64_t num_classes = 0;            // classification only

  std::int64_t size() const;
  std::int64_t sample_size() const;
  // The samples at `indices`, in that order.
  Dataset subset(std::span<const std::int64_t> indices) const;
};

struct Splits {
  Dataset train;
  Dataset validation;  // empty when no validation split was asked for
  Dataset test;
};

// Loads Fashion-MNIST's `train` or `t10k` part from `dir` (IDX files, gzip or plain), pixels
// scaled to [0, 1]. Throws DataError naming the file on any fault, including an images/labels
// count mismatch and labels outside 0..9.
Dataset load_fashion_mnist(const std::filesystem::path& dir, const std::string& part);

// Moves `validation_size` samples, chosen by `seed`, from train into the validation split.
void carve_validation(Splits& splits, std::int64_t validation_size, std::uint64_t seed);

// Keeps the first `limit` samples of a shuffled order of `dataset` (seeded); 0 keeps all.
void keep_subset(Dataset& dataset, std::int64_t limit, std::uint64_t seed);

// Replaces every label of `dataset` by a uniform draw over its classes (seeded): the random-label
// control of memorization studies (Zhang et al., 2017; Chatterjee & Zielinski, 2022).
void randomize_labels(Dataset& dataset, std::uint64_t seed);

// Standardizes every split by the train split's per-feature mean and standard deviation.
void standardize(Splits& splits);

}  // namespace descent::data
