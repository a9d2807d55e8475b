// ZIP archives read from memory: the central directory (ZIP64 included) with every record checked
// to lie inside the bytes, and entries extracted (stored, or deflated and inflated with zlib) with
// their CRC-32 checked. Checkpoints (LibTorch archives) and NumPy's .npz files are ZIP archives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace descent::data {

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  // 0 stored, 8 deflated
  std::uint32_t crc = 0;
  std::uint64_t compressed = 0, size = 0;
  std::uint64_t data_offset = 0;  // where its (compressed) bytes start
};

// The archive's entries, in directory order. Throws DataError "NAME: FAULT" on the first fault:
// no end record, records or data outside `bytes`, damaged headers.
std::vector<ZipEntry> zip_entries(std::string_view bytes, const std::string& name);

// An entry's bytes as stored in the archive (compressed when it is deflated).
std::string_view zip_raw_data(std::string_view bytes, const ZipEntry& entry);

// An entry's contents, inflated when deflated, CRC-32 checked. Throws DataError naming the entry.
std::string zip_extract(std::string_view bytes, const ZipEntry& entry, const std::string& name);

// A stored (uncompressed) entry's contents in place, without a copy, CRC-32 checked.
std::string_view zip_stored_contents(std::string_view bytes, const ZipEntry& entry, const std::string& name);

}  // namespace descent::data
