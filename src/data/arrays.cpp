#include "descent/data/arrays.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>

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

namespace descent::data {
namespace {

// One CSV line's fields (RFC 4180 quoting within a line: "a,b" and "say ""hi""").
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"', ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

}  // namespace

Dataset load_csv(const std::filesystem::path& path, const std::string& target, Task task) {
  std::ifstream in(path);
  if (!in) throw DataError(fmt::format("{}: {}", path.string(), std::filesystem::exists(path) ? "cannot be read" : "file not found"));
  std::string line;
  if (!std::getline(in, line)) throw DataError(fmt::format("{}: empty; the first line names the columns", path.string()));
  const std::vector<std::string> columns = csv_fields(line);
  const auto target_at = std::find(columns.begin(), columns.end(), target);
  if (target_at == columns.end()) {
    throw DataError(fmt::format("{}: no column '{}' (columns: {})", path.string(), target, fmt::join(columns, ", ")));
  }
  const std::size_t target_index = static_cast<std::size_t>(target_at - columns.begin());
  if (columns.size() < 2) throw DataError(fmt::format("{}: only the target column; features are the other columns", path.string()));

  Dataset dataset;
  dataset.name = path.stem().string();
  dataset.task = task;
  dataset.sample_shape = {static_cast<std::int64_t>(columns.size() - 1)};
  for (std::int64_t number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> fields = csv_fields(line);
    if (fields.size() != columns.size()) {
      throw DataError(fmt::format("{}:{}: {} fields where the header has {}", path.string(), number, fields.size(), columns.size()));
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      double value = 0.0;
      const char* begin = fields[c].data();
      const char* end = begin + fields[c].size();
      while (begin < end && *begin == ' ') ++begin;
      const auto [stop, error] = std::from_chars(begin, end, value);
      if (error != std::errc() || stop != end || !std::isfinite(value)) {
        throw DataError(fmt::format("{}:{}: column '{}': '{}' is not a finite number", path.string(), number, columns[c], fields[c]));
      }
      if (c != target_index) {
        dataset.features.push_back(static_cast<float>(value));
      } else if (task == Task::regression) {
        dataset.targets.push_back(static_cast<float>(value));
      } else {
        if (value < 0 || value != std::floor(value) || value > 1e9) {
          throw DataError(fmt::format("{}:{}: column '{}': class label '{}' is not an integer 0 or more", path.string(), number,
                                      target, fields[c]));
        }
        dataset.labels.push_back(static_cast<std::int64_t>(value));
        dataset.num_classes = std::max<std::int64_t>({dataset.num_classes, dataset.labels.back() + 1, 2});
      }
    }
  }
  if (dataset.size() == 0) throw DataError(fmt::format("{}: no rows after the header", path.string()));
  return dataset;
}

}  // namespace descent::data
