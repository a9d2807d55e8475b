// The coordinate check of Yang & Hu's Tensor Programs (microsoft/mup's coord_check): train models
// of growing width a few steps on one fixed batch and watch the typical size of each layer's
// coordinates. Under a parameterization that admits a feature-learning limit (mup) the change of
// every hidden layer's activations from initialization stays of order one as the width grows; in
// the NTK parameterization it shrinks like width^-1/2 (kernel regime); in the standard
// parameterization at a fixed learning rate it grows (blows up). A log-log slope against width
// tells which. mup's coord_check records the activations' mean |x|; this records that at
// initialization and the mean |h_t - h_0| of the change, the quantity the slopes are about.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"

namespace descent::models {
struct Model;
}

namespace descent::diag {

struct CoordinateCheckOptions {
  std::vector<std::int64_t> widths;
  std::string optimizer = "sgd";
  ParamValues hyper = {{"lr", 0.1}};  // with the model's per-layer rates (mup) applied on top
  std::int64_t steps = 3;
  std::int64_t seeds = 3;
};

struct CoordinateCheck {
  std::vector<std::int64_t> widths;
  std::vector<std::string> layers;  // the model's traced layers, then "output"
  // change[w][l][t]: mean over seeds of mean |h_(t+1) - h_0| of layer l at width w.
  std::vector<std::vector<std::vector<double>>> change;
  // size[w][l]: mean over seeds of mean |h_0|.
  std::vector<std::vector<double>> size;

  // The least-squares slope of log change against log width, for `layer` after `step` steps (1-based).
  double slope(const std::string& layer, std::int64_t step) const;
};

using ModelOfWidth = std::function<std::shared_ptr<models::Model>(std::int64_t width)>;

// Cross-entropy on the batch (x, y of class indices), `seeds` draws of each width (torch's seed
// seed * 1000003 + width before each build). Throws ConfigError on an empty width list or a
// non-positive step or seed count.
CoordinateCheck coordinate_check(const ModelOfWidth& model_of_width, const torch::Tensor& x, const torch::Tensor& y,
                                 const CoordinateCheckOptions& options);

}  // namespace descent::diag
