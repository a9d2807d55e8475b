// Gradient compressors C: R^d -> R^d with an exact wire format. Each one writes its message with a
// BitWriter (the bits it sends are the bits it is charged for) and, at the same time, the dense
// vector C(x) the receiver will decode, so a sender's error-feedback state matches the receiver's
// bit for bit.
//
// Two families (Richtarik et al., "EF21", 2021; Beznosikov et al., 2020):
//   contractive:  E||C(x) - x||^2 <= (1 - alpha) ||x||^2   (TopK: alpha = K/d; RandK; scaled sign)
//   unbiased:     E C(x) = x,  E||C(x) - x||^2 <= omega ||x||^2   (natural compression, QSGD)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "descent/comm/bit_stream.hpp"

namespace descent::comm {

struct CompressorSpec {
  std::string name = "none";  // none | topk | randk | sign | natural | qsgd
  double ratio = 0.01;        // topk, randk: K = max(1, round(ratio * d)) unless k is set
  std::int64_t k = 0;         // topk, randk: coordinates kept (overrides ratio)
  std::int64_t levels = 4;    // qsgd: quantization levels s
};

// Known names, for config validation and messages.
const std::vector<std::string>& compressor_names();

template <typename T>
class Compressor {
public:
  virtual ~Compressor() = default;
  virtual std::string name() const = 0;
  // Writes x's message to `out` and C(x) to `dense` (same length as x). `seed` drives random
  // compressors; a receiver decoding with the same seed shares that randomness (RandK's coordinates).
  virtual void encode(std::span<const T> x, std::uint64_t seed, BitWriter& out, std::span<T> dense) const = 0;
  // Reads one message and writes C(x) to `dense`.
  virtual void decode(BitReader& in, std::uint64_t seed, std::span<T> dense) const = 0;
  // Reads one message and adds weight * C(x) to `accumulator` (`scratch`: d values of workspace).
  // Sparse compressors override it to touch only the coordinates they sent.
  virtual void decode_add(BitReader& in, std::uint64_t seed, T weight, std::span<T> accumulator, std::span<T> scratch) const {
    decode(in, seed, scratch);
    for (std::size_t j = 0; j < accumulator.size(); ++j) accumulator[j] += weight * scratch[j];
  }
  // alpha of a contractive compressor for vectors of length d (nullopt: not contractive with a
  // constant alpha independent of x).
  virtual std::optional<double> contraction(std::size_t d) const { (void)d; return std::nullopt; }
  // omega of an unbiased compressor (nullopt: biased).
  virtual std::optional<double> variance(std::size_t d) const { (void)d; return std::nullopt; }
  // True when C(t x) = t C(x) for t > 0: EF21-W then equals EF21 exactly (Richtarik et al., 2024).
  virtual bool positively_homogeneous() const { return false; }

  // C(x) without keeping the message: for tests and analysis.
  std::vector<T> apply(std::span<const T> x, std::uint64_t seed, std::uint64_t* bits = nullptr) const {
    BitWriter out;
    std::vector<T> dense(x.size());
    encode(x, seed, out, dense);
    if (bits) *bits = out.bits();
    return dense;
  }
};

// Throws ConfigError naming the spec's fault (unknown name, ratio outside (0, 1], levels < 1).
template <typename T>
std::unique_ptr<Compressor<T>> make_compressor(const CompressorSpec& spec, std::size_t dimension);

// Coordinates TopK and RandK keep for a vector of length d.
std::size_t kept_coordinates(const CompressorSpec& spec, std::size_t dimension);

// TopK's xi(alpha) = sqrt(1 - alpha) / (1 - sqrt(1 - alpha)) with alpha = K/d: the factor in EF21's
// step-size bound gamma <= 1 / (L + L_tilde * xi) (Richtarik, Gasanov, Burlachenko, ICLR 2024).
double ef21_xi(double alpha);

}  // namespace descent::comm
