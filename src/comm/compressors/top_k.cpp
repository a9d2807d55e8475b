// TopK: keep the K coordinates of largest magnitude (ties to the lower index, so the choice is
// deterministic), zero the rest. Contractive with alpha = K/d and positively homogeneous, which is
// why EF21-W and EF21 produce the same iterates with it (Richtarik, Gasanov, Burlachenko, 2024).
// Wire format: K x (index in ceil(log2 d) bits, value at full precision), indices ascending.
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <type_traits>
#include <limits>
#include <numeric>

#include "descent/optim/instruction_set.hpp"
#include "factories.hpp"

namespace descent::comm {
namespace {

// The bits of |v|: for a non-negative float they order like its value (NaN's above infinity's).
std::uint32_t magnitude_bits(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits & 0x7FFFFFFFu;
}

// Selection key: magnitude bits high, complemented index low, so that integer order is magnitude
// order, ties to the lower index.
std::uint64_t selection_key(std::uint32_t magnitude, std::size_t i) {
  return (std::uint64_t{magnitude} << 32) | (0xFFFFFFFFu - static_cast<std::uint32_t>(i));
}

// The indices i >= from (ascending) with magnitude_bits(x[i]) >= threshold, written to `out`,
// which has room for x.size() - from + 16; returns how many. About 1 coordinate in 50 passes, so a
// branch per coordinate mispredicts often: the loop writes every index and advances on a hit.
std::size_t candidate_indices_portable(std::span<const float> x, std::uint32_t threshold, std::uint32_t* out, std::size_t from = 0) {
  std::size_t count = 0;
  for (std::size_t i = from; i < x.size(); ++i) {
    out[count] = static_cast<std::uint32_t>(i);
    count += magnitude_bits(x[i]) >= threshold ? 1 : 0;
  }
  return count;
}

// 16 coordinates per compare, the hits' indices packed by a register compress and stored whole
// (the memory form of vpcompressd is microcoded and slow on AMD Zen 4).
[[gnu::target("avx512f")]] std::size_t candidate_indices_avx512(std::span<const float> x, std::uint32_t threshold, std::uint32_t* out) {
  const __m512i magnitude_mask = _mm512_set1_epi32(0x7FFFFFFF), bound = _mm512_set1_epi32(static_cast<int>(threshold));
  const __m512i step = _mm512_set1_epi32(16);
  __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  std::size_t count = 0, i = 0;
  for (; i + 16 <= x.size(); i += 16) {
    const __m512i bits = _mm512_and_si512(_mm512_loadu_si512(x.data() + i), magnitude_mask);
    const __mmask16 hit = _mm512_cmpge_epu32_mask(bits, bound);
    _mm512_storeu_si512(out + count, _mm512_maskz_compress_epi32(hit, index));
    count += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(hit)));
    index = _mm512_add_epi32(index, step);
  }
  return count + candidate_indices_portable(x, threshold, out + count, i);
}

// Appends the key of every x[i] with magnitude bits >= threshold, in index order.
void collect_candidates(std::span<const float> x, std::uint32_t threshold, std::vector<std::uint64_t>& keys) {
  thread_local std::vector<std::uint32_t> indices;
  indices.resize(x.size() + 16);
  const std::size_t count = optim::active_instruction_set() == optim::InstructionSet::avx512
                                ? candidate_indices_avx512(x, threshold, indices.data())
                                : candidate_indices_portable(x, threshold, indices.data());
  for (std::size_t j = 0; j < count; ++j) keys.push_back(selection_key(magnitude_bits(x[indices[j]]), indices[j]));
}

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
      // One 64-bit key per coordinate orders by magnitude, then by lower index, with integer
      // comparisons only.
      const auto key = [&](std::size_t i) { return selection_key(magnitude_bits(x[i]), i); };
      thread_local std::vector<std::uint64_t> keys;
      keys.clear();
      // For large vectors, a threshold from an evenly spaced sample keeps about 2k candidates; when
      // at least k pass it, they hold the exact top k (everything else lies below the threshold),
      // so the choice is the same as a full selection at a fraction of its cost.
      const std::size_t d = x.size();
      if (d >= 16384 && k <= d / 8) {
        constexpr std::size_t kSample = 4096;
        std::vector<std::uint32_t> sample;
        for (std::size_t s = 0; s < kSample; ++s) sample.push_back(magnitude_bits(x[s * d / kSample]));
        const auto wanted = std::min<std::size_t>(kSample - 1, (2 * k * kSample) / d + 8);
        std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(wanted), sample.end(), std::greater<>());
        collect_candidates(x, sample[wanted], keys);
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
