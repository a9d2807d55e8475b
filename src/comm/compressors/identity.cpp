// The uncompressed baseline: every coordinate at full precision (32 or 64 bits each).
#include <algorithm>

#include "factories.hpp"

namespace descent::comm {
namespace {

template <typename T>
class Identity final : public Compressor<T> {
public:
  std::string name() const override { return "none"; }
  void encode(std::span<const T> x, std::uint64_t, BitWriter& out, std::span<T> dense) const override {
    for (const T value : x) out.write_value(value);
    std::copy(x.begin(), x.end(), dense.begin());
  }
  void decode(BitReader& in, std::uint64_t, std::span<T> dense) const override {
    for (T& value : dense) value = in.read_value<T>();
  }
  std::optional<double> contraction(std::size_t) const override { return 1.0; }
  std::optional<double> variance(std::size_t) const override { return 0.0; }
  bool positively_homogeneous() const override { return true; }
};

}  // namespace

template <typename T>
std::unique_ptr<Compressor<T>> make_identity() { return std::make_unique<Identity<T>>(); }
template std::unique_ptr<Compressor<float>> make_identity<float>();
template std::unique_ptr<Compressor<double>> make_identity<double>();

}  // namespace descent::comm
