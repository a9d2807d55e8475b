#include "descent/models/parameterization.hpp"

#include <cmath>

namespace descent::models {
namespace {

LayerScaling ntk_scaling(const WeightedLayer& layer, double beta) {
  LayerScaling s;
  s.weight_multiplier = 1.0 / std::sqrt(static_cast<double>(layer.fan_in));
  s.bias_multiplier = beta;
  s.unit_gaussian_init = true;
  return s;
}

// microsoft/mup's rules: a parameter's infinite dimensions decide its class (biases have one: the
// layer's fan-out, when it grows).
LayerScaling mup_scaling(const WeightedLayer& layer) {
  LayerScaling s;
  const double fan_in_m = layer.fan_in_multiplier, fan_out_m = layer.fan_out_multiplier;
  const auto vector_like = [](double m) { return LearningRateMultipliers{m, 1.0}; };
  switch (layer.role) {
    case LayerRole::input:
      s.weight_lr = vector_like(fan_out_m);
      s.bias_lr = vector_like(fan_out_m);
      break;
    case LayerRole::hidden:
      s.bias_init_factor = std::sqrt(fan_in_m);  // mup's rescale_linear_bias: U(+-1/sqrt(base fan_in))
      s.weight_lr = {fan_out_m / fan_in_m, 1.0 / fan_in_m};
      s.bias_lr = vector_like(fan_out_m);
      break;
    case LayerRole::readout:
      s.weight_multiplier = 1.0 / fan_in_m;
      s.weight_init_factor = s.bias_init_factor = std::sqrt(fan_in_m);
      s.weight_lr = vector_like(fan_in_m);
      break;  // the readout bias has no infinite dimension: lr as given
    case LayerRole::input_and_readout:
      break;  // nothing grows with width
  }
  return s;
}

}  // namespace

double width_multiplier(std::int64_t width, const ParameterizationOptions& options) {
  return options.base_width > 0 ? static_cast<double>(width) / static_cast<double>(options.base_width) : 1.0;
}

LayerScaling layer_scaling(Parameterization parameterization, const WeightedLayer& layer, double ntk_beta) {
  switch (parameterization) {
    case Parameterization::standard: return {};
    case Parameterization::ntk: return ntk_scaling(layer, ntk_beta);
    case Parameterization::mup: return mup_scaling(layer);
  }
  return {};
}

}  // namespace descent::models
