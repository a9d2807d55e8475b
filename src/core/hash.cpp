#include "descent/core/hash.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "descent/core/error.hpp"

namespace descent {

std::string Fnv1a::hex() const { return fmt::format("{:016x}", value_); }

std::string file_fnv1a(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: cannot read: {}", path.string(), std::strerror(errno)));
  Fnv1a hash;
  std::array<char, 1 << 16> buffer;
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) hash.add(buffer.data(), static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw DataError(fmt::format("{}: read failed", path.string()));
  return hash.hex();
}

}  // namespace descent
