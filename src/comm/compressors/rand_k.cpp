// RandK: keep K coordinates drawn uniformly without replacement, zero the rest (unscaled, so it is
// contractive with alpha = K/d: E||C(x) - x||^2 = (1 - K/d)||x||^2, the form error feedback needs).
// The coordinates come from a seed both ends know, so the wire carries only the K values.
#include <algorithm>
#include <numeric>

#include "descent/core/rng.hpp"
#include "factories.hpp"

namespace descent::comm {
namespace {

// K distinct coordinates of [0, d), ascending: a partial Fisher-Yates shuffle on the seed's stream.
std::vector<std::uint32_t> chosen_coordinates(std::size_t d, std::size_t k, std::uint64_t seed) {
  thread_local std::vector<std::uint32_t> pool;
  pool.resize(d);
  std::iota(pool.begin(), pool.end(), 0u);
  Rng rng(seed);
  for (std::size_t j = 0; j < k; ++j) {
    const std::size_t pick = j + static_cast<std::size_t>(rng.below(d - j));
    std::swap(pool[j], pool[pick]);
  }
  std::vector<std::uint32_t> chosen(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(k));
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

template <typename T>
class RandK final : public Compressor<T> {
public:
  explicit RandK(std::size_t k) : k_(k) {}
  std::string name() const override { return "randk"; }

  void encode(std::span<const T> x, std::uint64_t seed, BitWriter& out, std::span<T> dense) const override {
    std::fill(dense.begin(), dense.end(), T(0));
    for (const std::uint32_t i : chosen_coordinates(x.size(), std::min(k_, x.size()), seed)) {
      out.write_value(x[i]);
      dense[i] = x[i];
    }
  }

  void decode(BitReader& in, std::uint64_t seed, std::span<T> dense) const override {
    std::fill(dense.begin(), dense.end(), T(0));
    for (const std::uint32_t i : chosen_coordinates(dense.size(), std::min(k_, dense.size()), seed)) {
      dense[i] = in.read_value<T>();
    }
  }

  void decode_add(BitReader& in, std::uint64_t seed, T weight, std::span<T> accumulator, std::span<T>) const override {
    for (const std::uint32_t i : chosen_coordinates(accumulator.size(), std::min(k_, accumulator.size()), seed)) {
      accumulator[i] += weight * in.read_value<T>();
    }
  }

  std::optional<double> contraction(std::size_t d) const override {
    return static_cast<double>(std::min(k_, d)) / static_cast<double>(d);
  }
  bool positively_homogeneous() const override { return true; }

private:
  std::size_t k_;
};

}  // namespace

template <typename T>
std::unique_ptr<Compressor<T>> make_rand_k(std::size_t k) { return std::make_unique<RandK<T>>(k); }
template std::unique_ptr<Compressor<float>> make_rand_k<float>(std::size_t);
template std::unique_ptr<Compressor<double>> make_rand_k<double>(std::size_t);

}  // namespace descent::comm
