// NumPy arrays from .npy files (format versions 1.0-3.0) and .npz archives (ZIP files of .npy
// files, as numpy.savez and numpy.savez_compressed write them): the element types datasets use
// (float32, float64, uint8, int64, little-endian), C order. Every fault is a DataError naming the
// file, the array and the problem; the declared size is checked against the bytes before any copy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace descent::data {

enum class NpyType { float32, float64, uint8, int64 };

struct NpyArray {
  std::vector<std::int64_t> shape;
  NpyType type = NpyType::float32;
  std::string data;  // the elements, little-endian, C order

  std::int64_t count() const;  // product of the shape (1 for a scalar)
  bool is_integer() const { return type == NpyType::uint8 || type == NpyType::int64; }
  std::vector<float> to_float() const;
  std::vector<std::int64_t> to_int64() const;  // integer types only
};

// One .npy image; `name` (a file, or "file.npz:member") labels every message.
NpyArray parse_npy(std::string_view bytes, const std::string& name);
NpyArray read_npy(const std::filesystem::path& path);
// Every array of an .npz archive, by member name without ".npy".
std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path);

}  // namespace descent::data
