#include "descent/comm/compressor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "compressors/factories.hpp"
#include "descent/core/error.hpp"

namespace descent::comm {

const std::vector<std::string>& compressor_names() {
  static const std::vector<std::string> names = {"none", "topk", "randk", "sign", "natural", "qsgd"};
  return names;
}

std::size_t kept_coordinates(const CompressorSpec& spec, std::size_t dimension) {
  if (spec.k > 0) return std::min(static_cast<std::size_t>(spec.k), dimension);
  const auto k = static_cast<std::size_t>(std::llround(spec.ratio * static_cast<double>(dimension)));
  return std::clamp<std::size_t>(k, 1, std::max<std::size_t>(dimension, 1));
}

double ef21_xi(double alpha) {
  const double root = std::sqrt(1.0 - alpha);
  return root / (1.0 - root);
}

template <typename T>
std::unique_ptr<Compressor<T>> make_compressor(const CompressorSpec& spec, std::size_t dimension) {
  if (spec.name == "topk" || spec.name == "randk") {
    if (spec.k <= 0 && !(spec.ratio > 0.0 && spec.ratio <= 1.0)) {
      throw ConfigError(fmt::format("compressor '{}': ratio {} must be in (0, 1]", spec.name, spec.ratio));
    }
    const std::size_t k = kept_coordinates(spec, dimension);
    return spec.name == "topk" ? make_top_k<T>(k) : make_rand_k<T>(k);
  }
  if (spec.name == "qsgd") {
    if (spec.levels < 1) throw ConfigError(fmt::format("compressor 'qsgd': levels {} must be at least 1", spec.levels));
    return make_qsgd<T>(spec.levels);
  }
  if (spec.name == "sign") return make_scaled_sign<T>();
  if (spec.name == "natural") return make_natural_compression<T>();
  if (spec.name == "none") return make_identity<T>();
  throw ConfigError(fmt::format("unknown compressor '{}' (known: none, topk, randk, sign, natural, qsgd)", spec.name));
}

template std::unique_ptr<Compressor<float>> make_compressor<float>(const CompressorSpec&, std::size_t);
template std::unique_ptr<Compressor<double>> make_compressor<double>(const CompressorSpec&, std::size_t);

}  // namespace descent::comm
