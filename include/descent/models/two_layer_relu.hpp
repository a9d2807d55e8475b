// The network of Xu, Wang, Frei, Vardi & Hu, "Benign Overfitting and Grokking in ReLU Networks for
// XOR Cluster Data" (ICLR 2024), and the training their theory analyses:
//
//   f(x) = sum_{j<m} a_j ReLU(<w_j, x>),   a_j = +1/sqrt(m) for the first m/2 neurons, -1/sqrt(m) for the rest (fixed),
//   w_j(0) ~ N(0, init_scale^2 I),
//
// only the first layer trained, by full-batch gradient descent on the logistic loss
//   L(W) = (1/n) sum_i log(1 + exp(-y_i f(x_i))),  y_i in {-1, +1}:
//   dL/dw_j = (1/n) sum_i -y_i sigmoid(-y_i f(x_i)) a_j 1[<w_j, x_i> > 0] x_i.
//
// In double precision: a large step drives the margins y f to hundreds, where the loss's
// gradient, exp(-margin), is still representable; a step that leaves every weight bit-identical
// is a fixed point of the iteration in floating point (every later step is the same), which the
// step reports.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace descent::models {

class TwoLayerRelu {
public:
  // Throws ConfigError for a width below 2 or odd (half the neurons carry each sign), a
  // non-positive input count or a negative init scale.
  TwoLayerRelu(std::int64_t inputs, std::int64_t width, double init_scale, std::uint64_t seed);
  // The network with first-layer weights `weights` (m x p, copied to double).
  explicit TwoLayerRelu(const torch::Tensor& weights);

  // f(x) for each row of x (any floating type; computed in double).
  torch::Tensor outputs(const torch::Tensor& x) const;

  // The logistic loss and its gradient in W, for labels y in {-1, +1}.
  double logistic_loss(const torch::Tensor& x, const torch::Tensor& y) const;
  torch::Tensor logistic_gradient(const torch::Tensor& x, const torch::Tensor& y) const;

  // W -= step * gradient. Returns false when no weight changed (a floating-point fixed point).
  bool gradient_step(const torch::Tensor& x, const torch::Tensor& y, double step);

  // The fraction of rows with sign f(x) == y (f = 0 counts as wrong).
  double accuracy(const torch::Tensor& x, const torch::Tensor& y) const;

  const torch::Tensor& weights() const { return weights_; }  // m x p
  const torch::Tensor& outer() const { return outer_; }      // the fixed a, length m

private:
  torch::Tensor weights_, outer_;
};

// Class indices {0, 1} as the labels {-1, +1} the logistic loss above takes, in double.
torch::Tensor signed_labels(const torch::Tensor& classes);

}  // namespace descent::models
