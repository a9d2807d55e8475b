// Natural compression (Horvath, Ho, Horvath, Sahu, Canini, Richtarik, "Natural Compression for
// Distributed Deep Learning", 2019): each coordinate is rounded at random to one of the two powers
// of two around it, 2^e <= |x| < 2^(e+1), choosing 2^(e+1) with probability (|x| - 2^e) / 2^e.
// Unbiased with omega = 1/8. A power of two has an all-zero mantissa, so the wire carries only the
// sign and exponent fields of the IEEE value: 9 bits a coordinate in float, 12 in double.
// Magnitudes below the smallest normal number round to 0 or to it, keeping the rounding unbiased.
#include <cmath>
#include <cstring>
#include <limits>

#include "descent/core/rng.hpp"
#include "factories.hpp"

namespace descent::comm {
namespace {

template <typename T>
struct Layout;
template <>
struct Layout<float> {
  using Bits = std::uint32_t;
  static constexpr int mantissa = 23, field = 9;
};
template <>
struct Layout<double> {
  using Bits = std::uint64_t;
  static constexpr int mantissa = 52, field = 12;
};

template <typename T>
T round_to_power_of_two(T x, Rng& rng) {
  const T magnitude = std::abs(x);
  if (magnitude == T(0) || !std::isfinite(magnitude)) return x;
  const T smallest = std::numeric_limits<T>::min();
  T lower, upper;
  if (magnitude < smallest) {
    lower = T(0), upper = smallest;
  } else {
    int exponent;
    std::frexp(magnitude, &exponent);  // magnitude = m * 2^exponent, m in [0.5, 1)
    lower = std::ldexp(T(1), exponent - 1);
    upper = std::ldexp(T(1), exponent);
    if (!std::isfinite(upper)) upper = lower;  // beyond the largest power of two: keep the lower
  }
  const double p_up = upper == lower ? 0.0 : static_cast<double>(magnitude - lower) / static_cast<double>(upper - lower);
  const T rounded = rng.uniform() < p_up ? upper : lower;
  return std::signbit(x) ? -rounded : rounded;
}

template <typename T>
class NaturalCompression final : public Compressor<T> {
  using L = Layout<T>;

public:
  std::string name() const override { return "natural"; }

  void encode(std::span<const T> x, std::uint64_t seed, BitWriter& out, std::span<T> dense) const override {
    Rng rng(seed);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const T rounded = round_to_power_of_two(x[i], rng);
      typename L::Bits raw;
      std::memcpy(&raw, &rounded, sizeof raw);
      out.write(static_cast<std::uint64_t>(raw >> L::mantissa), L::field);
      dense[i] = rounded;
    }
  }

  void decode(BitReader& in, std::uint64_t, std::span<T> dense) const override {
    for (T& value : dense) {
      const auto raw = static_cast<typename L::Bits>(in.read(L::field) << L::mantissa);
      std::memcpy(&value, &raw, sizeof value);
    }
  }

  std::optional<double> variance(std::size_t) const override { return 1.0 / 8.0; }
};

}  // namespace

template <typename T>
std::unique_ptr<Compressor<T>> make_natural_compression() { return std::make_unique<NaturalCompression<T>>(); }
template std::unique_ptr<Compressor<float>> make_natural_compression<float>();
template std::unique_ptr<Compressor<double>> make_natural_compression<double>();

}  // namespace descent::comm
