// QSGD with s levels (Alistarh, Grubic, Li, Tomioka, Vojnovic, NeurIPS 2017):
//   C(x)_i = ||x||_2 sign(x_i) l_i / s,  l_i = floor(s|x_i|/||x||) + Bernoulli(frac(s|x_i|/||x||)).
// Unbiased with omega = min(d/s^2, sqrt(d)/s). Wire format: the norm at full precision, then per
// coordinate the level in ceil(log2(s + 1)) bits and, for a nonzero level only, its sign bit.
#include <cmath>

#include "descent/core/rng.hpp"
#include "factories.hpp"

namespace descent::comm {
namespace {

template <typename T>
T dequantize(T norm, std::uint64_t level, bool negative, std::int64_t levels) {
  const T value = static_cast<T>(static_cast<double>(norm) * static_cast<double>(level) / static_cast<double>(levels));
  return negative ? -value : value;
}

template <typename T>
class Qsgd final : public Compressor<T> {
public:
  explicit Qsgd(std::int64_t levels) : levels_(levels), level_bits_(bits_for(static_cast<std::uint64_t>(levels) + 1)) {}
  std::string name() const override { return "qsgd"; }

  void encode(std::span<const T> x, std::uint64_t seed, BitWriter& out, std::span<T> dense) const override {
    double squares = 0.0;
    for (const T value : x) squares += static_cast<double>(value) * static_cast<double>(value);
    const T norm = static_cast<T>(std::sqrt(squares));
    out.write_value(norm);
    Rng rng(seed);
    for (std::size_t i = 0; i < x.size(); ++i) {
      std::uint64_t level = 0;
      if (norm > T(0)) {
        const double scaled = static_cast<double>(levels_) * std::abs(static_cast<double>(x[i])) / static_cast<double>(norm);
        const double floor = std::floor(scaled);
        level = static_cast<std::uint64_t>(floor) + (rng.uniform() < scaled - floor ? 1 : 0);
        level = std::min<std::uint64_t>(level, static_cast<std::uint64_t>(levels_));  // rounding at |x_i| = ||x||
      }
      out.write(level, level_bits_);
      const bool negative = level > 0 && std::signbit(x[i]);
      if (level > 0) out.write(negative ? 1 : 0, 1);
      dense[i] = dequantize(norm, level, negative, levels_);
    }
  }

  void decode(BitReader& in, std::uint64_t, std::span<T> dense) const override {
    const T norm = in.read_value<T>();
    for (T& value : dense) {
      const std::uint64_t level = in.read(level_bits_);
      const bool negative = level > 0 && in.read(1) == 1;
      value = dequantize(norm, level, negative, levels_);
    }
  }

  std::optional<double> variance(std::size_t d) const override {
    const double s = static_cast<double>(levels_), dd = static_cast<double>(d);
    return std::min(dd / (s * s), std::sqrt(dd) / s);
  }

private:
  std::int64_t levels_;
  int level_bits_;
};

}  // namespace

template <typename T>
std::unique_ptr<Compressor<T>> make_qsgd(std::int64_t levels) { return std::make_unique<Qsgd<T>>(levels); }
template std::unique_ptr<Compressor<float>> make_qsgd<float>(std::int64_t);
template std::unique_ptr<Compressor<double>> make_qsgd<double>(std::int64_t);

}  // namespace descent::comm
