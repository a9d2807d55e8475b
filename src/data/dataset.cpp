#include "descent/data/dataset.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/core/shuffle.hpp"
#include "descent/data/idx.hpp"

namespace descent::data {

std::int64_t Dataset::size() const {
  const std::int64_t per_sample = sample_size();
  return per_sample == 0 ? 0 : static_cast<std::int64_t>(features.size()) / per_sample;
}

std::int64_t Dataset::sample_size() const {
  return std::accumulate(sample_shape.begin(), sample_shape.end(), std::int64_t{1}, std::multiplies<>());
}

Dataset Dataset::subset(std::span<const std::int64_t> indices) const {
  Dataset out;
  out.name = name;
  out.task = task;
  out.sample_shape = sample_shape;
  out.num_classes = num_classes;
  out.labels_per_sample = labels_per_sample;
  const std::int64_t width = sample_size();
  out.features.resize(indices.size() * static_cast<std::size_t>(width));
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const auto source = features.begin() + indices[i] * width;
    std::copy(source, source + width, out.features.begin() + static_cast<std::int64_t>(i) * width);
    if (task == Task::classification) {
      const auto first = labels.begin() + indices[i] * labels_per_sample;
      out.labels.insert(out.labels.end(), first, first + labels_per_sample);
    } else {
      out.targets.push_back(targets[indices[i]]);
    }
  }
  return out;
}

namespace {

std::filesystem::path find_part_file(const std::filesystem::path& dir, const std::string& stem) {
  for (const char* suffix : {".gz", ""}) {
    std::filesystem::path candidate = dir / (stem + suffix);
    if (std::filesystem::exists(candidate)) return candidate;
  }
  throw DataError(fmt::format("{}: file not found (nor {}.gz); set data.dir to the Fashion-MNIST folder",
                              (dir / stem).string(), stem));
}

}  // namespace

Dataset load_fashion_mnist(const std::filesystem::path& dir, const std::string& part) {
  if (!std::filesystem::is_directory(dir)) {
    throw DataError(fmt::format("{}: data directory not found (data.dir)", dir.string()));
  }
  const auto images_path = find_part_file(dir, part + "-images-idx3-ubyte");
  const auto labels_path = find_part_file(dir, part + "-labels-idx1-ubyte");
  const IdxArray images = read_idx(images_path, 3);
  const IdxArray labels = read_idx(labels_path, 1);
  if (images.dims[0] != labels.dims[0]) {
    throw DataError(fmt::format("{}: holds {} labels but {} holds {} images", labels_path.string(), labels.dims[0],
                                images_path.string(), images.dims[0]));
  }

  Dataset dataset;
  dataset.name = "fashion-mnist/" + part;
  dataset.task = Task::classification;
  dataset.num_classes = 10;
  dataset.sample_shape = {1, images.dims[1], images.dims[2]};
  dataset.features.resize(images.values.size());
  for (std::size_t i = 0; i < images.values.size(); ++i) dataset.features[i] = images.values[i] / 255.0f;
  dataset.labels.reserve(labels.values.size());
  for (std::size_t i = 0; i < labels.values.size(); ++i) {
    if (labels.values[i] >= dataset.num_classes) {
      throw DataError(fmt::format("{}: label {} at index {} is out of range 0..9", labels_path.string(),
                                  labels.values[i], i));
    }
    dataset.labels.push_back(labels.values[i]);
  }
  return dataset;
}

void carve_validation(Splits& splits, std::int64_t validation_size, std::uint64_t seed) {
  if (validation_size <= 0) return;
  const std::int64_t n = splits.train.size();
  if (validation_size >= n) {
    throw ConfigError(fmt::format("data.validation: {} samples leaves none of the {} training samples to train on",
                                  validation_size, n));
  }
  Rng rng = Rng::derived(seed, /*stream=*/0x5a11d);
  const auto order = shuffled_indices(n, rng);
  const std::span<const std::int64_t> all(order);
  splits.validation = splits.train.subset(all.first(static_cast<std::size_t>(validation_size)));
  splits.validation.name += "/validation";
  splits.train = splits.train.subset(all.subspan(static_cast<std::size_t>(validation_size)));
}

void keep_subset(Dataset& dataset, std::int64_t limit, std::uint64_t seed) {
  if (limit <= 0 || limit >= dataset.size()) return;
  Rng rng = Rng::derived(seed, /*stream=*/0x5b5e7);
  const auto order = shuffled_indices(dataset.size(), rng);
  dataset = dataset.subset(std::span<const std::int64_t>(order).first(static_cast<std::size_t>(limit)));
}

void standardize(Splits& splits) {
  const std::int64_t width = splits.train.sample_size();
  const std::int64_t n = splits.train.size();
  std::vector<double> mean(static_cast<std::size_t>(width), 0.0), variance(static_cast<std::size_t>(width), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < width; ++j) mean[j] += splits.train.features[i * width + j];
  }
  for (auto& m : mean) m /= static_cast<double>(n);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < width; ++j) {
      const double d = splits.train.features[i * width + j] - mean[j];
      variance[j] += d * d;
    }
  }
  std::vector<float> scale(static_cast<std::size_t>(width));
  for (std::int64_t j = 0; j < width; ++j) {
    const double sd = std::sqrt(variance[j] / static_cast<double>(n));
    scale[j] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f;  // constant pixels stay centred at zero
  }
  for (Dataset* part : {&splits.train, &splits.validation, &splits.test}) {
    for (std::size_t k = 0; k < part->features.size(); ++k) {
      const std::size_t j = k % static_cast<std::size_t>(width);
      part->features[k] = static_cast<float>((part->features[k] - mean[j]) * scale[j]);
    }
  }
}

void randomize_labels(Dataset& dataset, std::uint64_t seed) {
  Rng rng = Rng::derived(seed, 0x7a4d);
  for (auto& label : dataset.labels) label = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(dataset.num_classes)));
}

}  // namespace descent::data
