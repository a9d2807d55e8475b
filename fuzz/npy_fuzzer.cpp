// Fuzzes the NumPy readers: the bytes as one .npy image, and as an .npz archive (a ZIP of .npy
// files, stored or deflated) read from a file as the "arrays" dataset reads it. Seeds:
// fuzz/corpus/npy (the arrays numpy wrote for tests/test_npy.cpp).
#include <string_view>

#include "descent/data/npy.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  descent::fuzz::expect_clean_refusal_or_success([&] {
    const descent::data::NpyArray array = descent::data::parse_npy(bytes, "fuzz.npy");
    // An accepted array holds exactly its shape's elements: to_float reads every one of them.
    if (array.to_float().size() != static_cast<std::size_t>(array.count())) std::abort();
  });
  const auto& path = descent::fuzz::write_scratch("npz", data, size);
  descent::fuzz::expect_clean_refusal_or_success([&] { descent::data::read_npz(path); });
  return 0;
}
