#include "descent/data/arrays.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "descent/core/error.hpp"
#include "descent/data/npy.hpp"

namespace descent::data {
namespace {

const NpyArray& member(const std::map<std::string, NpyArray>& arrays, const std::string& key, const std::filesystem::path& path) {
  const auto it = arrays.find(key);
  if (it != arrays.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [name, array] : arrays) names.push_back(name);
  throw DataError(fmt::format("{}: no array '{}' (it holds: {}); name them with data.features_key and data.targets_key",
                              path.string(), key, names.empty() ? "nothing" : fmt::format("{}", fmt::join(names, ", "))));
}

}  // namespace

Dataset load_arrays(const std::filesystem::path& path, const std::string& features_key, const std::string& targets_key) {
  const auto arrays = read_npz(path);
  const NpyArray& features = member(arrays, features_key, path);
  const NpyArray& targets = member(arrays, targets_key, path);
  const std::string where = fmt::format("{}:{}", path.string(), targets_key);
  if (features.shape.empty() || features.shape[0] < 1) {
    throw DataError(fmt::format("{}:{}: needs shape {{N, ...}} with N >= 1, has ({})", path.string(), features_key, fmt::join(features.shape, ", ")));
  }
  const std::int64_t n = features.shape[0];
  const bool column = targets.shape.size() == 2 && targets.shape[1] == 1;
  if (!(targets.shape.size() == 1 || column) || targets.shape[0] != n) {
    throw DataError(fmt::format("{}: needs shape ({},) for {} samples, has ({})", where, n, n, fmt::join(targets.shape, ", ")));
  }
  Dataset dataset;
  dataset.name = path.stem().string();
  dataset.sample_shape.assign(features.shape.begin() + 1, features.shape.end());
  if (dataset.sample_shape.empty()) dataset.sample_shape = {1};
  dataset.features = features.to_float();
  if (targets.is_integer()) {
    dataset.task = Task::classification;
    dataset.labels = targets.to_int64();
    const auto [low, high] = std::minmax_element(dataset.labels.begin(), dataset.labels.end());
    if (*low < 0) throw DataError(fmt::format("{}: class labels must be 0 or more, found {}", where, *low));
    dataset.num_classes = std::max<std::int64_t>(*high + 1, 2);
  } else {
    dataset.task = Task::regression;
    dataset.targets = targets.to_float();
  }
  return dataset;
}

void match_splits(Dataset& train, Dataset& test, const std::filesystem::path& test_path) {
  if (test.sample_shape != train.sample_shape) {
    throw DataError(fmt::format("{}: samples of shape ({}) where the training set has ({})", test_path.string(),
                                fmt::join(test.sample_shape, ", "), fmt::join(train.sample_shape, ", ")));
  }
  if (test.task != train.task) {
    throw DataError(fmt::format("{}: targets are {} where the training set's are {}", test_path.string(),
                                test.task == Task::classification ? "class labels" : "real numbers",
                                train.task == Task::classification ? "class labels" : "real numbers"));
  }
  train.num_classes = test.num_classes = std::max(train.num_classes, test.num_classes);
}

}  // namespace descent::data
