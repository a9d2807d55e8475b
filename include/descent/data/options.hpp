// [data]: which dataset a study trains on, and how it is split and prepared.
#pragma once

#include <cstdint>
#include <string>

namespace descent::data {

struct DataOptions {
  std::string dataset = "fashion-mnist";  // fashion-mnist | gaussian-mixture | linear-regression | text
  std::string dir = "/usr/share/datasets/fashion-mnist";
  std::int64_t validation = 0;    // samples carved from train, by seed
  std::int64_t train_subset = 0;  // 0: all
  std::int64_t test_subset = 0;   // 0: all
  bool standardize = false;
  // Synthetic datasets only.
  std::int64_t train_size = 2000;
  std::int64_t test_size = 500;
  std::int64_t features = 20;
  std::int64_t classes = 4;
  double separation = 2.0;
  double noise = 0.1;
  // text: a character-level corpus (data/text.hpp).
  std::string text_path = "/usr/share/common-licenses";
  std::int64_t context = 64;
  bool random_labels = false;  // classification: replace the training labels by uniform random ones (drawn by seed)
  std::uint64_t seed = 0;  // draws synthetic data, carves validation and subsets: fixed per study, so all runs see the same data
};

}  // namespace descent::data
