// The checkpoint archive's CRC-32 verification (train/checkpoint_integrity.hpp) on ZIP files built
// here byte by byte, in the layout LibTorch writes (stored entries), plain and ZIP64.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "descent/core/error.hpp"
#include "descent/train/checkpoint_integrity.hpp"

namespace descent::train {
namespace {

void put(std::string& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>(value >> (8 * i) & 0xFF));
}

using Entries = std::vector<std::pair<std::string, std::string>>;

// A ZIP archive of stored entries. With zip64, every size and offset of the central directory and
// the end record sits in the ZIP64 fields, as writers do for archives past 4 GiB.
std::string zip_of(const Entries& entries, bool zip64 = false) {
  std::string archive, directory;
  for (const auto& [name, data] : entries) {
    const std::uint64_t offset = archive.size();
    const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    put(archive, 0x04034b50, 4);
    put(archive, 20, 2), put(archive, 0, 2), put(archive, 0, 2), put(archive, 0, 4);  // version, flags, stored, time
    put(archive, crc, 4), put(archive, data.size(), 4), put(archive, data.size(), 4);
    put(archive, name.size(), 2), put(archive, 0, 2);
    archive += name + data;

    put(directory, 0x02014b50, 4);
    put(directory, 45, 2), put(directory, 45, 2), put(directory, 0, 2), put(directory, 0, 2), put(directory, 0, 4);
    put(directory, crc, 4);
    put(directory, zip64 ? 0xFFFFFFFF : data.size(), 4), put(directory, zip64 ? 0xFFFFFFFF : data.size(), 4);
    put(directory, name.size(), 2), put(directory, zip64 ? 28 : 0, 2), put(directory, 0, 2);
    put(directory, 0, 2), put(directory, 0, 2), put(directory, 0, 4);  // disk, attributes
    put(directory, zip64 ? 0xFFFFFFFF : offset, 4);
    directory += name;
    if (zip64) {  // extra field 1: size, compressed size, local header offset
      put(directory, 1, 2), put(directory, 24, 2), put(directory, data.size(), 8), put(directory, data.size(), 8), put(directory, offset, 8);
    }
  }
  const std::uint64_t directory_offset = archive.size();
  archive += directory;
  if (zip64) {
    const std::uint64_t record = archive.size();
    put(archive, 0x06064b50, 4), put(archive, 44, 8), put(archive, 45, 2), put(archive, 45, 2), put(archive, 0, 4), put(archive, 0, 4);
    put(archive, entries.size(), 8), put(archive, entries.size(), 8), put(archive, directory.size(), 8), put(archive, directory_offset, 8);
    put(archive, 0x07064b50, 4), put(archive, 0, 4), put(archive, record, 8), put(archive, 1, 4);
  }
  put(archive, 0x06054b50, 4), put(archive, 0, 2), put(archive, 0, 2);
  put(archive, zip64 ? 0xFFFF : entries.size(), 2), put(archive, zip64 ? 0xFFFF : entries.size(), 2);
  put(archive, zip64 ? 0xFFFFFFFF : directory.size(), 4), put(archive, zip64 ? 0xFFFFFFFF : directory_offset, 4);
  put(archive, 0, 2);
  return archive;
}

const Entries kEntries = {{"run/data.pkl", std::string("\x80\x02}q\x00.", 6)}, {"run/data/0", std::string(4096, '\x3f')},
                          {"run/version", "3\n"}};

std::string fault_of(const std::string& bytes) {
  try {
    verify_archive_checksums(bytes, "run.pt");
  } catch (const DataError& error) {
    return error.what();
  }
  return "intact";
}

TEST(CheckpointIntegrity, IntactArchivesPassPlainAndZip64) {
  EXPECT_EQ(fault_of(zip_of(kEntries)), "intact");
  EXPECT_EQ(fault_of(zip_of(kEntries, /*zip64=*/true)), "intact");
  EXPECT_EQ(fault_of(zip_of({})), "intact");
}

TEST(CheckpointIntegrity, AFlippedByteInsideAnEntryFailsItsChecksum) {
  for (const bool zip64 : {false, true}) {
    std::string bytes = zip_of(kEntries, zip64);
    bytes[bytes.find(std::string(16, '\x3f')) + 1000] ^= 0x01;  // one bit of a tensor
    EXPECT_THAT(fault_of(bytes), testing::HasSubstr("run.pt: entry 'run/data/0' fails its CRC-32 check")) << zip64;
  }
}

TEST(CheckpointIntegrity, DamagedStructureIsRefusedWithinTheFile) {
  const std::string good = zip_of(kEntries);
  using testing::HasSubstr;
  EXPECT_THAT(fault_of(good.substr(0, good.size() - 1)), HasSubstr("no end-of-archive record"));
  EXPECT_THAT(fault_of(good.substr(0, 10)), HasSubstr("too short"));
  EXPECT_THAT(fault_of(std::string(100, '\0')), HasSubstr("no end-of-archive record"));
  // The directory offset pointing past the file.
  std::string moved = good;
  moved[moved.size() - 3] = '\x7f';
  EXPECT_THAT(fault_of(moved), HasSubstr("past the end of the file"));
  // A first local header that is not one.
  std::string local = good;
  local[0] = 'X';
  EXPECT_THAT(fault_of(local), HasSubstr("entry 'run/data.pkl': its local header is damaged"));
  // More entries declared than the directory can hold.
  std::string counted = good;
  counted[counted.size() - 12] = '\x7f';
  EXPECT_THAT(fault_of(counted), HasSubstr("entry count exceeds"));
}

// Archives from two independent writers, committed as fuzz seeds: Python's zipfile (plain and with
// ZIP64 local headers) and LibTorch's own torch.save.
TEST(CheckpointIntegrity, ArchivesOfOtherWritersPass) {
  int checked = 0;
  for (const auto& file : std::filesystem::directory_iterator(DESCENT_FUZZ_CORPUS_DIR "/checkpoint_archive")) {
    std::ifstream in(file.path(), std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(in), {});
    EXPECT_EQ(fault_of(bytes), "intact") << file.path();
    std::string damaged = bytes;
    const std::size_t pickle = damaged.find("\x80\x02}q");  // the first entry's data, a pickle in all three
    ASSERT_NE(pickle, std::string::npos) << file.path();
    damaged[pickle + 3] ^= 0x10;
    EXPECT_NE(fault_of(damaged), "intact") << file.path();
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

}  // namespace
}  // namespace descent::train
