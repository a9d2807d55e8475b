// Fuzzes the checkpoint archive's integrity check (train/checkpoint_integrity.hpp), which reads
// every ZIP record of a checkpoint before LibTorch sees it: any bytes are refused with DataError or
// accepted, never read outside the input. Seeds: fuzz/corpus/checkpoint_archive (stored ZIP files,
// plain and ZIP64, and a LibTorch checkpoint when python3-torch is there to write one).
#include <string_view>

#include "descent/train/checkpoint_integrity.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  descent::fuzz::expect_clean_refusal_or_success([&] {
    descent::train::verify_archive_checksums(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pt");
  });
  return 0;
}
