// Datasets from the user's own arrays: an .npz file (numpy.savez or savez_compressed) holding a
// features array {N, ...} (float32, float64, uint8 or int64, C order; values taken as they are)
// and a targets array {N} or {N, 1}: integer targets are class labels 0..K-1, floating-point ones
// regression targets.
#pragma once

#include <filesystem>
#include <string>

#include "descent/data/dataset.hpp"

namespace descent::data {

// Throws DataError naming the file, the array and the fault.
Dataset load_arrays(const std::filesystem::path& path, const std::string& features_key, const std::string& targets_key);

// A CSV file with a header row: the column named `target` is the target (class labels 0..K-1
// for classification, real numbers for regression), every other column a feature; every value a
// number. Throws DataError naming the file, the line and the column.
Dataset load_csv(const std::filesystem::path& path, const std::string& target, Task task);

// Train and test must agree on the sample shape and the task; the class count becomes the larger.
// Throws DataError naming `test_path` when they do not.
void match_splits(Dataset& train, Dataset& test, const std::filesystem::path& test_path);

}  // namespace descent::data
