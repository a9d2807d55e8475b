// Checkpoints are LibTorch archives: ZIP files whose entries are stored uncompressed, each with the
// CRC-32 of its bytes in the ZIP directory. LibTorch writes those checksums but does not verify
// them on load (its miniz is built with MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS), so a flipped byte
// inside a tensor resumes a run with silently wrong numbers. descent verifies them first.
#pragma once

#include <string>
#include <string_view>

namespace descent::train {

// Checks that `bytes` is a well-formed ZIP archive (end record, central directory and local
// headers inside the file, ZIP64 included) and that every stored entry's CRC-32 matches its data.
// Compressed entries (LibTorch writes none) are checked for bounds only. Throws DataError
// "NAME: FAULT" for the first fault found.
void verify_archive_checksums(std::string_view bytes, const std::string& name);

}  // namespace descent::train
