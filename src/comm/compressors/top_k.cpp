// TopK: keep the K coordinates of largest magnitude (ties to the lower index, so the choice is
// deterministic), zero the rest. Contractive with alpha = K/d and positively homogeneous, which is
// why EF21-W and EF21 produce the same iterates with it (Richtarik, Gasanov, Burlachenko, 2024).
// Wire format: K x (index in ceil(log2 d) bits, value at full precision), indices ascending.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <type_traits>
#include <limits>
#include <numeric>

#include "factories.hpp"

namespace descent::comm {
namespace {

// |v|, with NaN ordered above everything so that the selection stays a strict weak order.
template <typename T>
T magnitude(T v) {
  return std::isnan(v) ? std::numeric_limits<T>::infinity() : std::abs(v);
}

template <typename T>
class TopK final : public Compressor<T> {
public:
  explicit TopK(std::size_t k) : k_(k) {}
  std::string name() const override { return "topk"; }

  void encode(std::span<const T> x, std::uint64_t, BitWriter& out, std::span<T> dense) const override {
    const std::size_t d = x.size(), k = std::min(k_, d);
    const std::vector<std::uint32_t> kept = select(x, k);
    std::fill(dense.begin(), dense.end(), T(0));
    const int index_bits = bits_for(d);
    for (const std::uint32_t i : kept) {
      out.write(i, index_bits);
      out.write_value(x[i]);
      dense[i] = x[i];
    }
  }

  void decode(BitReader& in, std::uint64_t, std::span<T> dense) const override {
    const std::size_t d = dense.size(), k = std::min(k_, d);
    const int index_bits = bits_for(d);
    std::fill(dense.begin(), dense.end(), T(0));
    for (std::size_t j = 0; j < k; ++j) {
      const auto i = static_cast<std::size_t>(in.read(index_bits));
      if (i >= d) throw std::runtime_error("topk message: coordinate out of range");
      dense[i] = in.read_value<T>();
    }
  }

  void decode_add(BitReader& in, std::uint64_t, T weight, std::span<T> accumulator, std::span<T>) const override {
    const std::size_t d = accumulator.size(), k = std::min(k_, d);
    const int index_bits = bits_for(d);
    for (std::size_t j = 0; j < k; ++j) {
      const auto i = static_cast<std::size_t>(in.read(index_bits));
      if (i >= d) throw std::runtime_error("topk message: coordinate out of range");
      accumulator[i] += weight * in.read_value<T>();
    }
  }

  std::optional<double> contraction(std::size_t d) const override {
    return static_cast<double>(std::min(k_, d)) / static_cast<double>(d);
  }
  bool positively_homogeneous() const override { return true; }

private:
  // The k coordinates of largest magnitude, ascending.
  static std::vector<std::uint32_t> select(std::span<const T> x, std::size_t k) {
    std::vector<std::uint32_t> kept;
    if constexpr (std::is_same_v<T, float>) {
      // A non-negative float's bits order like its value (NaN's above infinity's), so one 64-bit
      // key, magnitude bits high and the complemented index low, orders by magnitude and then by
      // lower index with integer comparisons only.
      const auto key = [&](std::size_t i) {
        std::uint32_t bits;
        const float m = std::abs(x[i]);
        std::memcpy(&bits, &m, sizeof bits);
        return (std::uint64_t{bits} << 32) | (0xFFFFFFFFu - static_cast<std::uint32_t>(i));
      };
      thread_local std::vector<std::uint64_t> keys;
      keys.clear();
      // For large vectors, a threshold from an evenly spaced sample keeps about 2k candidates; when
      // at least k pass it, they hold the exact top k (everything else lies below the threshold),
      // so the choice is the same as a full selection at a fraction of its cost.
      const std::size_t d = x.size();
      if (d >= 16384 && k <= d / 8) {
        constexpr std::size_t kSample = 4096;
        std::vector<std::uint64_t> sample;
        for (std::size_t s = 0; s < kSample; ++s) sample.push_back(key(s * d / kSample) >> 32);
        const auto wanted = std::min<std::size_t>(kSample - 1, (2 * k * kSample) / d + 8);
        std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(wanted), sample.end(), std::greater<>());
        const std::uint64_t threshold = sample[wanted] << 32;
        for (std::size_t i = 0; i < d; ++i) {
          const std::uint64_t candidate = key(i);
          if (candidate >= threshold) keys.push_back(candidate);
        }
        if (keys.size() < k) keys.clear();  // the sample misjudged: select over everything
      }
      if (keys.empty()) {
        keys.resize(d);
        for (std::size_t i = 0; i < d; ++i) keys[i] = key(i);
      }
      std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(k), keys.end(), std::greater<>());
      for (std::size_t j = 0; j < k; ++j) kept.push_back(0xFFFFFFFFu - static_cast<std::uint32_t>(keys[j] & 0xFFFFFFFFu));
    } else {
      thread_local std::vector<std::uint32_t> order;
      order.resize(x.size());
      std::iota(order.begin(), order.end(), 0u);
      const auto larger = [&](std::uint32_t a, std::uint32_t b) {
        const T ma = magnitude(x[a]), mb = magnitude(x[b]);
        return ma > mb || (ma == mb && a < b);
      };
      std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), larger);
      kept.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
    }
    std::sort(kept.begin(), kept.end());
    return kept;
  }

  std::size_t k_;
};

}  // namespace

template <typename T>
std::unique_ptr<Compressor<T>> make_top_k(std::size_t k) { return std::make_unique<TopK<T>>(k); }
template std::unique_ptr<Compressor<float>> make_top_k<float>(std::size_t);
template std::unique_ptr<Compressor<double>> make_top_k<double>(std::size_t);

}  // namespace descent::comm
