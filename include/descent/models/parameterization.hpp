// How a network's weights are scaled with its width: at initialization, in the forward pass, and
// in each layer's learning rate. Free of LibTorch.
//
// standard: LibTorch's defaults (weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
// ntk (Jacot, Gabriel & Hongler, NeurIPS 2018): every parameter N(0, 1); each layer computes
//   W x / sqrt(fan_in) + beta b.
// mup (Yang & Hu, "Feature Learning in Infinite-Width Neural Networks", ICML 2021, in microsoft/
//   mup's form relative to a base width; m = width / base width):
//   - input and hidden weights keep the standard initialization (variance 1/fan_in); hidden biases
//     are drawn m^(1/2) times wider (set_base_shapes' rescale_linear_bias: the base model's scale);
//   - the readout computes W (x / m) + b, its weight and bias initialized m^(1/2) times the
//     standard draw (MuReadout with its parameters rescaled), so its effective variance is 1/(m fan_in);
//   - learning rates (MuSGD, MuAdam): a vector-like parameter (one dimension grows with width: the
//     input layer, every bias, the readout weight) takes lr * m under SGD and lr under Adam; a
//     matrix-like one (hidden weights, both dimensions grow) takes lr * fanout_m / fanin_m under
//     SGD and lr / fanin_m under Adam.
// At m = 1, mup computes what standard computes.
#pragma once

#include <cstdint>
#include <string>

#include "descent/core/fields.hpp"

namespace descent::models {

enum class Parameterization { standard, ntk, mup };
inline const EnumNames<Parameterization> kParameterizations = {
    {Parameterization::standard, "standard"}, {Parameterization::ntk, "ntk"}, {Parameterization::mup, "mup"}};

// Where a weighted layer sits: its fan-in or fan-out is fixed by the data, or both grow with width.
enum class LayerRole { input, hidden, readout, input_and_readout };

struct WeightedLayer {
  LayerRole role = LayerRole::hidden;
  std::int64_t fan_in = 1;        // inputs per output unit (a convolution: channels x kernel area)
  double fan_in_multiplier = 1;   // fan_in's width over the base model's (1 where fixed by the data)
  double fan_out_multiplier = 1;  // the same for the outputs
};

// How one layer's step sizes scale for the two kinds of update mup distinguishes.
struct LearningRateMultipliers {
  double linear = 1.0;     // steps linear in the gradient (SGD, heavy ball)
  double invariant = 1.0;  // steps whose entries do not scale with the gradient's (Adam, sign methods)
};

struct LayerScaling {
  // forward: weight_multiplier * (W x) + bias_multiplier * b
  double weight_multiplier = 1.0, bias_multiplier = 1.0;
  bool unit_gaussian_init = false;  // redraw every parameter N(0, 1) (ntk)
  // Factors on the standard initialization's draw (when not redrawn).
  double weight_init_factor = 1.0, bias_init_factor = 1.0;
  LearningRateMultipliers weight_lr, bias_lr;
};

struct ParameterizationOptions {
  Parameterization kind = Parameterization::standard;
  std::int64_t base_width = 0;  // mup: the width at which it equals standard (0: the model's own widths)
  double ntk_beta = 0.1;        // ntk: the bias multiplier beta (Jacot et al. use 0.1)
};

// The width multiplier of a layer `width` wide against `options.base_width`.
double width_multiplier(std::int64_t width, const ParameterizationOptions& options);

LayerScaling layer_scaling(Parameterization parameterization, const WeightedLayer& layer, double ntk_beta);

}  // namespace descent::models
