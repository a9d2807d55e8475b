// AdaBelief (Zhuang et al., "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
// Gradients", NeurIPS 2020), as the official juntang-zhuang/Adabelief-Optimizer
// adabelief_pytorch 0.2.1 computes it with rectify = False:
//   m = b1 * m + (1 - b1) * g
//   s = b2 * s + (1 - b2) * (g - m)^2 + eps      (eps added to the stored s, every step)
//   p = p - lr / (1 - b1^t) * m / (sqrt(s) / sqrt(1 - b2^t) + eps)
// Weight decay is decoupled by default (weight_decouple = True: p *= 1 - lr * wd), else added to
// the gradient (L2). The official default turns on RAdam-style rectification (rectify = True);
// this file is the paper's Algorithm 2 without it. Its eps default is 1e-16: AdaBelief's eps sits
// inside the square root, so it plays the role of Adam's eps squared.
#pragma once

#include <cmath>

#include "descent/optim/algorithms/adam.hpp"

namespace descent::optim {

template <class T>
struct ScaleByAdaBelief {
  static constexpr int slots = 2;
  static std::vector<std::string> slot_names() { return {"m", "s"}; }
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-16;
  using Scalars = AdamScalars<T>;
  Scalars prepare(const StepContext& context) const { return adam_scalars<T>(beta1, beta2, eps, context.step); }
  T apply(T g, T, T* s, const Scalars& c) const {
    s[0] = c.b1 * s[0] + c.one_minus_b1 * g;
    const T residual = g - s[0];
    s[1] = c.b2 * s[1] + c.one_minus_b2 * residual * residual + c.eps;
    return c.inverse_bc1 * s[0] / (std::sqrt(s[1]) * c.inverse_sqrt_bc2 + c.eps);
  }
};

template <class T>
using AdaBelief = Chain<T, ScaleByAdaBelief<T>, AddDecoupledDecay<T>, ScaleByLearningRate<T>>;
template <class T>
using AdaBeliefL2 = Chain<T, AddL2Decay<T>, ScaleByAdaBelief<T>, ScaleByLearningRate<T>>;

}  // namespace descent::optim
