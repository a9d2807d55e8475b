#include "descent/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>
#include <fmt/format.h>
#include <memory>

#include "descent/core/error.hpp"

namespace descent::data {
namespace {

constexpr std::uint8_t kUnsignedByte = 0x08;

const char* element_type_name(std::uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to `size` bytes; returns how many were read.
std::size_t read_some(gzFile file, void* buffer, std::size_t size, const std::filesystem::path& path) {
  std::size_t total = 0;
  auto* out = static_cast<std::uint8_t*>(buffer);
  while (total < size) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size - total, 1u << 30));
    const int n = gzread(file, out + total, chunk);
    if (n < 0) {
      int code = 0;
      throw DataError(fmt::format("{}: corrupt or unreadable gzip data ({})", path.string(), gzerror(file, &code)));
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  return total;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path, int expected_rank) {
  if (!std::filesystem::exists(path)) throw DataError(fmt::format("{}: file not found", path.string()));
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw DataError(fmt::format("{}: cannot open", path.string()));

  std::array<std::uint8_t, 4> magic{};
  if (read_some(file.get(), magic.data(), magic.size(), path) != magic.size()) {
    throw DataError(fmt::format("{}: truncated: the 4-byte IDX header is incomplete", path.string()));
  }
  if (magic[0] != 0 || magic[1] != 0) {
    throw DataError(fmt::format("{}: wrong magic number {:02x}{:02x}{:02x}{:02x}: not an IDX file", path.string(),
                                magic[0], magic[1], magic[2], magic[3]));
  }
  if (magic[2] != kUnsignedByte) {
    throw DataError(fmt::format("{}: wrong element type 0x{:02x} ({}); expected 0x08 (unsigned byte)", path.string(),
                                magic[2], element_type_name(magic[2])));
  }
  if (magic[3] != expected_rank) {
    throw DataError(fmt::format("{}: wrong rank {}; expected {}", path.string(), magic[3], expected_rank));
  }

  IdxArray array;
  std::size_t count = 1;
  for (int i = 0; i < expected_rank; ++i) {
    std::array<std::uint8_t, 4> bytes{};
    if (read_some(file.get(), bytes.data(), bytes.size(), path) != bytes.size()) {
      throw DataError(fmt::format("{}: truncated: dimension {} of the header is incomplete", path.string(), i));
    }
    const std::uint32_t dim = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                              (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
    array.dims.push_back(dim);
    if (dim != 0 && count > std::numeric_limits<std::size_t>::max() / dim) {
      throw DataError(fmt::format("{}: the header's dimensions multiply past any file size", path.string()));
    }
    count *= dim;
  }

  // The header's count is a promise, not a size to allocate: a corrupt one (0x7fffffff images)
  // would ask for gigabytes before the short file could say so. Grow with what arrives.
  constexpr std::size_t kChunk = std::size_t{1} << 24;
  std::size_t got = 0;
  while (got < count) {
    const std::size_t want = std::min(kChunk, count - got);
    array.values.resize(got + want);
    const std::size_t read = read_some(file.get(), array.values.data() + got, want, path);
    got += read;
    if (read < want) break;
  }
  array.values.resize(got);
  if (got != count) {
    throw DataError(fmt::format("{}: truncated: header promises {} values, file holds {}", path.string(), count, got));
  }
  std::uint8_t extra = 0;
  if (read_some(file.get(), &extra, 1, path) != 0) {
    throw DataError(fmt::format("{}: unexpected data after the {} values the header promises", path.string(), count));
  }
  return array;
}

}  // namespace descent::data
