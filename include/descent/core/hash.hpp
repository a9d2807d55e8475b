// FNV-1a, 64 bits (Fowler, Noll & Vo): the one hash descent keys things with. Run keys hash the
// stored config's canonical dump; a study file's own files (a TorchScript module, .npz and CSV
// data) enter the config by their contents' hash, so editing the file in place makes new runs;
// data-parallel replicas compare their parameters' bytes. Not cryptographic: it tells versions of
// one user's files apart, it does not defend against anyone crafting collisions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace descent {

class Fnv1a {
public:
  void add(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) value_ = (value_ ^ bytes[i]) * 0x100000001b3ULL;
  }
  void add(std::string_view text) { add(text.data(), text.size()); }
  std::uint64_t value() const { return value_; }
  std::string hex() const;  // 16 lowercase hex digits

private:
  std::uint64_t value_ = 0xcbf29ce484222325ULL;
};

// The hash of a file's bytes, as 16 hex digits. Throws DataError naming the file if it cannot be read.
std::string file_fnv1a(const std::filesystem::path& path);

}  // namespace descent
