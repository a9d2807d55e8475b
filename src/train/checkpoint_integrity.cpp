#include "descent/train/checkpoint_integrity.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"
#include "descent/data/zip.hpp"

namespace descent::train {

void verify_archive_checksums(std::string_view bytes, const std::string& name) {
  for (const data::ZipEntry& entry : data::zip_entries(bytes, name)) {
    if (entry.method != 0) continue;  // deflated: LibTorch's reader inflates and would notice damage
    if (entry.compressed != entry.size) {
      throw DataError(fmt::format("{}: entry '{}': stored with two different sizes", name, entry.name));
    }
    if (const std::uint32_t crc = data::crc32_of(data::zip_raw_data(bytes, entry)); crc != entry.crc) {
      throw DataError(fmt::format("{}: entry '{}' fails its CRC-32 check (stored {:08x}, computed {:08x})", name, entry.name,
                                  entry.crc, crc));
    }
  }
}

}  // namespace descent::train
