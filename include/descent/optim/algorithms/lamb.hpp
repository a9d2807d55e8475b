// LAMB (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
// ICLR 2020, Algorithm 2), per parameter tensor ("layer"):
//   m = b1 * m + (1 - b1) * g,  v = b2 * v + (1 - b2) * g^2
//   r = m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps) + wd * p
//   p = p - lr * phi(||p||) / ||r|| * r          (ratio 1 when ||p|| or ||r|| is 0)
// phi is the identity, as in the authors' TensorFlow reference (tensorflow/addons lamb.py: bias
// correction, no clamp, eps = 1e-6). Where implementations disagree: arXiv v3 and
// cybertronai/pytorch-lamb drop the bias correction, and the PyTorch ports clamp ||p|| to 10.
// The trust ratio is a per-tensor reduction: two sums (||p||^2, ||r||^2) over each tensor.
#pragma once

#include <array>
#include <cmath>

#include "descent/optim/algorithms/adam.hpp"

namespace descent::optim {

// u -> ||p|| / ||u|| * u, with both norms over the parameter tensor the element belongs to.
template <class T>
struct ScaleByTrustRatio {
  static constexpr int slots = 0;
  static constexpr int per_tensor_terms = 2;
  struct Scalars {
    T ratio = T(1);
  };
  std::array<double, 2> reduce_terms(T u, T p, const T*) const {
    return {static_cast<double>(p) * static_cast<double>(p), static_cast<double>(u) * static_cast<double>(u)};
  }
  Scalars prepare(const StepContext&, const std::array<double, 2>& squares) const {
    if (squares[0] <= 0.0 || squares[1] <= 0.0) return {T(1)};
    return {static_cast<T>(std::sqrt(squares[0]) / std::sqrt(squares[1]))};
  }
  T apply(T u, T, T*, const Scalars& s) const { return s.ratio * u; }
};

template <class T>
using Lamb = Chain<T, ScaleByAdam<T>, AddDecoupledDecay<T>, ScaleByTrustRatio<T>, ScaleByLearningRate<T>>;

}  // namespace descent::optim
