// Fuzzes the IDX reader (plain and gzip-compressed) with the two ranks datasets use: labels
// (rank 1) and images (rank 3). Seeds: fuzz/corpus/idx.
#include "descent/data/idx.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = descent::fuzz::write_scratch("idx", data, size);
  for (const int rank : {1, 3}) {
    descent::fuzz::expect_clean_refusal_or_success([&] {
      const descent::data::IdxArray array = descent::data::read_idx(path, rank);
      std::size_t elements = 1;
      for (const std::int64_t dim : array.dims) elements *= static_cast<std::size_t>(dim);
      if (array.dims.size() != static_cast<std::size_t>(rank) || array.values.size() != elements) std::abort();
    });
  }
  return 0;
}
