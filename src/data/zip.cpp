#include "descent/data/zip.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

#include "descent/core/error.hpp"

namespace descent::data {
namespace {

// ZIP record signatures (APPNOTE.TXT 4.3).
constexpr std::uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndRecord = 0x06054b50,
                        kZip64EndRecord = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr std::size_t kEndRecordSize = 22, kZip64LocatorSize = 20, kCentralHeaderSize = 46, kLocalHeaderSize = 30;
constexpr std::uint32_t kInZip64 = 0xFFFFFFFF;  // a 32-bit field whose value is in the ZIP64 extra field

// Little-endian reads that refuse to leave the file.
class Reader {
public:
  Reader(std::string_view bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  std::uint64_t read(std::uint64_t at, int width, const char* what) const {
    require(at, static_cast<std::uint64_t>(width), what);
    std::uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) value = value << 8 | static_cast<std::uint8_t>(bytes_[at + static_cast<std::uint64_t>(i)]);
    return value;
  }
  std::uint16_t u16(std::uint64_t at, const char* what) const { return static_cast<std::uint16_t>(read(at, 2, what)); }
  std::uint32_t u32(std::uint64_t at, const char* what) const { return static_cast<std::uint32_t>(read(at, 4, what)); }
  std::uint64_t u64(std::uint64_t at, const char* what) const { return read(at, 8, what); }

  void require(std::uint64_t at, std::uint64_t length, const char* what) const {
    if (at > bytes_.size() || length > bytes_.size() - at) fail(fmt::format("{} lies past the end of the file", what));
  }
  std::string_view slice(std::uint64_t at, std::uint64_t length, const char* what) const {
    require(at, length, what);
    return bytes_.substr(at, length);
  }
  [[noreturn]] void fail(const std::string& fault) const {
    throw DataError(fmt::format("{}: {}", name_, fault));
  }
  std::size_t size() const { return bytes_.size(); }

private:
  std::string_view bytes_;
  const std::string& name_;
};

struct Directory {
  std::uint64_t entries = 0, offset = 0, size = 0;
};

// The end record is the last 22 bytes but for a trailing comment of up to 65535 bytes.
std::uint64_t find_end_record(const Reader& zip) {
  if (zip.size() < kEndRecordSize) zip.fail("too short for a ZIP archive");
  const std::uint64_t last = zip.size() - kEndRecordSize;
  const std::uint64_t first = last > 0xFFFF ? last - 0xFFFF : 0;
  for (std::uint64_t at = last;; --at) {
    if (zip.u32(at, "end record") == kEndRecord && at + kEndRecordSize + zip.u16(at + 20, "comment length") == zip.size()) return at;
    if (at == first) break;
  }
  zip.fail("no end-of-archive record");
}

Directory read_directory(const Reader& zip, std::uint64_t end) {
  Directory directory{zip.u16(end + 10, "entry count"), zip.u32(end + 16, "directory offset"), zip.u32(end + 12, "directory size")};
  const bool zip64 = directory.entries == 0xFFFF || directory.offset == kInZip64 || directory.size == kInZip64;
  if (zip64) {
    if (end < kZip64LocatorSize || zip.u32(end - kZip64LocatorSize, "ZIP64 locator") != kZip64Locator) {
      zip.fail("the ZIP64 locator is missing");
    }
    const std::uint64_t record = zip.u64(end - kZip64LocatorSize + 8, "ZIP64 end record offset");
    if (zip.u32(record, "ZIP64 end record") != kZip64EndRecord) zip.fail("the ZIP64 end record is missing");
    directory = {zip.u64(record + 32, "ZIP64 entry count"), zip.u64(record + 48, "ZIP64 directory offset"),
                 zip.u64(record + 40, "ZIP64 directory size")};
  }
  zip.require(directory.offset, directory.size, "the central directory");
  return directory;
}

struct Entry {
  std::string_view name;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed = 0, uncompressed = 0, local_offset = 0;
  std::uint64_t record_size = 0;  // of its central directory record
};

// The ZIP64 extra field (id 1) holds, in this order, each of the three values whose 32-bit field
// is 0xFFFFFFFF.
void read_zip64_fields(const Reader& zip, std::uint64_t extra, std::uint64_t extra_end, Entry& entry) {
  for (std::uint64_t at = extra; at + 4 <= extra_end;) {
    const std::uint16_t id = zip.u16(at, "extra field"), length = zip.u16(at + 2, "extra field");
    if (at + 4 + length > extra_end) zip.fail(fmt::format("entry '{}': an extra field overruns its record", entry.name));
    if (id == 1) {
      std::uint64_t field = at + 4;
      for (std::uint64_t* value : {&entry.uncompressed, &entry.compressed, &entry.local_offset}) {
        if (*value != kInZip64) continue;
        if (field + 8 > at + 4 + length) zip.fail(fmt::format("entry '{}': the ZIP64 field is short", entry.name));
        *value = zip.u64(field, "ZIP64 field");
        field += 8;
      }
      return;
    }
    at += 4 + length;
  }
}

Entry read_entry(const Reader& zip, std::uint64_t at) {
  if (zip.u32(at, "central directory record") != kCentralHeader) zip.fail("a central directory record is damaged");
  Entry entry;
  entry.method = zip.u16(at + 10, "compression method");
  entry.crc = zip.u32(at + 16, "CRC-32");
  entry.compressed = zip.u32(at + 20, "compressed size");
  entry.uncompressed = zip.u32(at + 24, "size");
  const std::uint16_t name_length = zip.u16(at + 28, "name length"), extra_length = zip.u16(at + 30, "extra length"),
                      comment_length = zip.u16(at + 32, "comment length");
  entry.local_offset = zip.u32(at + 42, "local header offset");
  entry.name = zip.slice(at + kCentralHeaderSize, name_length, "an entry name");
  const std::uint64_t extra = at + kCentralHeaderSize + name_length;
  zip.require(extra, extra_length, "an extra field");
  read_zip64_fields(zip, extra, extra + extra_length, entry);
  entry.record_size = kCentralHeaderSize + name_length + extra_length + comment_length;
  return entry;
}

// Where an entry's data starts (after its local header), checked to lie inside the archive.
ZipEntry locate_data(const Reader& zip, const Entry& entry) {
  const std::uint64_t local = entry.local_offset;
  if (zip.u32(local, "local header") != kLocalHeader) zip.fail(fmt::format("entry '{}': its local header is damaged", entry.name));
  const std::uint64_t data = local + kLocalHeaderSize + zip.u16(local + 26, "name length") + zip.u16(local + 28, "extra length");
  zip.require(data, entry.compressed, "an entry's data");
  return {std::string(entry.name), entry.method, entry.crc, entry.compressed, entry.uncompressed, data};
}

// Raw deflate (no zlib header), into exactly the declared size: more output is a damaged entry.
// Deflate expands at most 1032:1 (a 258-byte match per 2-bit code), so a declared size beyond that
// is refused before anything is allocated for it (found by fuzz/npy_fuzzer: 4 GB for 438 bytes).
std::string inflate_raw(const Reader& zip, const ZipEntry& entry, std::string_view raw) {
  constexpr std::uint64_t kMaxRatio = 1032, kSlack = 1024;
  if (entry.size > raw.size() * kMaxRatio + kSlack) {
    zip.fail(fmt::format("entry '{}' declares {} bytes from {} compressed: more than deflate can produce", entry.name,
                         entry.size, raw.size()));
  }
  std::string out(entry.size, '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) zip.fail("zlib cannot start inflating");
  const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  std::uint64_t in_left = raw.size(), out_left = out.size();
  int status = Z_OK;
  while (status == Z_OK) {
    const uInt in_chunk = static_cast<uInt>(std::min<std::uint64_t>(in_left, 1u << 30));
    const uInt out_chunk = static_cast<uInt>(std::min<std::uint64_t>(out_left, 1u << 30));
    stream.avail_in = in_chunk;
    stream.avail_out = out_chunk;
    status = inflate(&stream, Z_NO_FLUSH);
    in_left -= in_chunk - stream.avail_in;
    out_left -= out_chunk - stream.avail_out;
    if (status == Z_OK && in_chunk == stream.avail_in && out_chunk == stream.avail_out) break;  // no progress
  }
  if (status != Z_STREAM_END || out_left != 0) zip.fail(fmt::format("entry '{}': damaged deflate data", entry.name));
  return out;
}

void check_crc(const Reader& zip, const ZipEntry& entry, std::string_view contents) {
  const auto crc = static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(contents.data()), contents.size()));
  if (crc != entry.crc) {
    zip.fail(fmt::format("entry '{}' fails its CRC-32 check (stored {:08x}, computed {:08x})", entry.name, entry.crc, crc));
  }
}

}  // namespace

std::vector<ZipEntry> zip_entries(std::string_view bytes, const std::string& name) {
  const Reader zip(bytes, name);
  const Directory directory = read_directory(zip, find_end_record(zip));
  // Each record is at least 46 bytes: a count the directory cannot hold is refused before looping.
  if (directory.entries > directory.size / kCentralHeaderSize) zip.fail("the entry count exceeds the central directory");
  std::vector<ZipEntry> entries;
  std::uint64_t at = directory.offset;
  for (std::uint64_t i = 0; i < directory.entries; ++i) {
    const Entry entry = read_entry(zip, at);
    entries.push_back(locate_data(zip, entry));
    at += entry.record_size;
    if (at > directory.offset + directory.size) zip.fail("the central directory overruns its declared size");
  }
  return entries;
}

std::string_view zip_raw_data(std::string_view bytes, const ZipEntry& entry) {
  return bytes.substr(entry.data_offset, entry.compressed);  // checked inside bytes by zip_entries
}

std::string_view zip_stored_contents(std::string_view bytes, const ZipEntry& entry, const std::string& name) {
  const Reader zip(bytes, name);
  if (entry.method != 0) zip.fail(fmt::format("entry '{}' is compressed, not stored", entry.name));
  if (entry.compressed != entry.size) zip.fail(fmt::format("entry '{}': stored with two different sizes", entry.name));
  const std::string_view contents = zip_raw_data(bytes, entry);
  check_crc(zip, entry, contents);
  return contents;
}

std::string zip_extract(std::string_view bytes, const ZipEntry& entry, const std::string& name) {
  if (entry.method == 0) return std::string(zip_stored_contents(bytes, entry, name));
  const Reader zip(bytes, name);
  if (entry.method != 8) {
    zip.fail(fmt::format("entry '{}': compression method {} is not stored (0) or deflate (8)", entry.name, entry.method));
  }
  std::string contents = inflate_raw(zip, entry, zip_raw_data(bytes, entry));
  check_crc(zip, entry, contents);
  return contents;
}

}  // namespace descent::data
