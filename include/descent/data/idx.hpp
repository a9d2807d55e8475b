// Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al.), gzip-compressed or plain.
// Layout: two zero bytes, an element-type byte, a rank byte, `rank` big-endian uint32 dimensions,
// then the elements in row-major order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace descent::data {

struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> values;  // element type 0x08 (unsigned byte), the only one datasets use
};

// Reads an unsigned-byte IDX file of the given rank. Throws DataError naming the file and the fault:
// missing file, wrong magic, wrong element type, wrong rank, truncated data, trailing bytes.
IdxArray read_idx(const std::filesystem::path& path, int expected_rank);

}  // namespace descent::data
