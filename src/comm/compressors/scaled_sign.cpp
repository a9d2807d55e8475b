// Scaled sign (Karimireddy et al., "Error Feedback Fixes SignSGD", ICML 2019):
//   C(x) = (||x||_1 / d) sign(x),  with sign(0) sent as +.
// ||C(x) - x||^2 = ||x||^2 - ||x||_1^2 / d, so it is contractive with alpha = ||x||_1^2 / (d ||x||^2)
// >= 1/d. Wire format: the scale at full precision, then one bit per coordinate (1 = negative).
#include <cmath>

#include "factories.hpp"

namespace descent::comm {
namespace {

template <typename T>
class ScaledSign final : public Compressor<T> {
public:
  std::string name() const override { return "sign"; }

  void encode(std::span<const T> x, std::uint64_t, BitWriter& out, std::span<T> dense) const override {
    double l1 = 0.0;
    for (const T value : x) l1 += std::abs(static_cast<double>(value));
    const T scale = x.empty() ? T(0) : static_cast<T>(l1 / static_cast<double>(x.size()));
    out.write_value(scale);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const bool negative = std::signbit(x[i]) && x[i] != T(0);
      out.write(negative ? 1 : 0, 1);
      dense[i] = negative ? -scale : scale;
    }
  }

  void decode(BitReader& in, std::uint64_t, std::span<T> dense) const override {
    const T scale = in.read_value<T>();
    for (T& value : dense) value = in.read(1) ? -scale : scale;
  }

  std::optional<double> contraction(std::size_t d) const override { return 1.0 / static_cast<double>(d); }
  bool positively_homogeneous() const override { return true; }
};

}  // namespace

template <typename T>
std::unique_ptr<Compressor<T>> make_scaled_sign() { return std::make_unique<ScaledSign<T>>(); }
template std::unique_ptr<Compressor<float>> make_scaled_sign<float>();
template std::unique_ptr<Compressor<double>> make_scaled_sign<double>();

}  // namespace descent::comm
