// AdaGrad-Norm, the scalar AdaGrad of Ward, Wu & Bottou ("AdaGrad stepsizes: sharp convergence
// over nonconvex landscapes", ICML 2019), as used by AdAdaGrad (Lau, Liu & Kolar, 2024):
//   b_k^2 = b_{k-1}^2 + ||g_k||^2      (one scalar for the whole group, b_0 = b0)
//   x     = x - lr * g_k / b_k
// Note: the AdAdaGrad repository's `Adagradnorm` class is not this rule (it keeps one
// accumulator per output row); this file follows the paper's scalar form.
#pragma once

#include <cmath>
#include <vector>

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleByAdagradNorm {
  static constexpr int slots = 0;
  static constexpr bool reduces = true;
  double b_squared = 1e-4;  // b_0^2; grows every step
  struct Scalars {
    T inverse_b;
  };
  double reduce_term(T g, T, const T*) const { return static_cast<double>(g) * static_cast<double>(g); }
  Scalars prepare(const StepContext&, double squared_norm) {
    b_squared += squared_norm;
    return {static_cast<T>(1.0 / std::sqrt(b_squared))};
  }
  T apply(T g, T, T*, const Scalars& c) const { return c.inverse_b * g; }
  std::vector<double> scalar_state() const { return {b_squared}; }
  void load_scalar_state(const std::vector<double>& values) { b_squared = values.at(0); }
};

template <class T>
using AdagradNorm = Chain<T, ScaleByAdagradNorm<T>, ScaleByLearningRate<T>>;

template <class T>
AdagradNorm<T> adagrad_norm(double b0) {
  return AdagradNorm<T>({b0 * b0}, {});
}

}  // namespace descent::optim
