#include "descent/models/two_layer_relu.hpp"

#include <fmt/format.h>

#include <cmath>

#include "descent/core/error.hpp"

namespace descent::models {
namespace {

torch::Tensor as_double(const torch::Tensor& t) { return t.to(torch::kFloat64); }

void check_shape(std::int64_t inputs, std::int64_t width) {
  if (inputs < 1 || width < 2 || width % 2 != 0) {
    throw ConfigError(fmt::format("two-layer ReLU network: {} inputs (at least 1), width {} (even, at least 2)", inputs, width));
  }
}

// a_j = +1/sqrt(m) for the first half of the neurons, -1/sqrt(m) for the second.
torch::Tensor fixed_outer_weights(std::int64_t width) {
  const double a = 1.0 / std::sqrt(static_cast<double>(width));
  return torch::cat({torch::full({width / 2}, a, torch::kFloat64), torch::full({width / 2}, -a, torch::kFloat64)});
}

}  // namespace

TwoLayerRelu::TwoLayerRelu(std::int64_t inputs, std::int64_t width, double init_scale, std::uint64_t seed) {
  check_shape(inputs, width);
  if (!(init_scale >= 0.0)) throw ConfigError(fmt::format("two-layer ReLU network: init scale {} (must be non-negative)", init_scale));
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  weights_ = torch::randn({width, inputs}, generator, torch::kFloat64) * init_scale;
  outer_ = fixed_outer_weights(width);
}

TwoLayerRelu::TwoLayerRelu(const torch::Tensor& weights) {
  if (weights.dim() != 2) throw ConfigError(fmt::format("two-layer ReLU network: weights of {} dimensions (need m x p)", weights.dim()));
  check_shape(weights.size(1), weights.size(0));
  weights_ = as_double(weights).clone();
  outer_ = fixed_outer_weights(weights.size(0));
}

torch::Tensor TwoLayerRelu::outputs(const torch::Tensor& x) const {
  return torch::relu(torch::mm(as_double(x), weights_.t())).mv(outer_);
}

double TwoLayerRelu::logistic_loss(const torch::Tensor& x, const torch::Tensor& y) const {
  // log(1 + exp(-m)) = softplus(-m), finite for any margin m.
  return torch::softplus(-as_double(y) * outputs(x)).mean().item<double>();
}

torch::Tensor TwoLayerRelu::logistic_gradient(const torch::Tensor& x, const torch::Tensor& y) const {
  const torch::Tensor xd = as_double(x), yd = as_double(y);
  const torch::Tensor pre = torch::mm(xd, weights_.t());  // n x m
  const torch::Tensor f = torch::relu(pre).mv(outer_);
  const torch::Tensor dloss_df = -yd * torch::sigmoid(-yd * f) / static_cast<double>(xd.size(0));
  // dL/dW = sum_i dloss_df_i (a (.) 1[pre_i > 0]) x_i^T.
  const torch::Tensor back = dloss_df.unsqueeze(1) * pre.gt(0).to(torch::kFloat64) * outer_.unsqueeze(0);
  return torch::mm(back.t(), xd);
}

bool TwoLayerRelu::gradient_step(const torch::Tensor& x, const torch::Tensor& y, double step) {
  const torch::Tensor next = weights_ - step * logistic_gradient(x, y);
  const bool moved = !torch::equal(next, weights_);
  weights_ = next;
  return moved;
}

double TwoLayerRelu::accuracy(const torch::Tensor& x, const torch::Tensor& y) const {
  return torch::sign(outputs(x)).eq(as_double(y)).to(torch::kFloat64).mean().item<double>();
}

torch::Tensor signed_labels(const torch::Tensor& classes) { return classes.to(torch::kFloat64) * 2.0 - 1.0; }

}  // namespace descent::models
