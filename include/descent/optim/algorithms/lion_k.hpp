// Lion-K (Chen, Liu, Liang & Liu, "Lion Secretly Solves Constrained Optimization: As Lyapunov
// Predicts", ICLR 2024): Lion with sign() replaced by the gradient of a convex K,
//   c = b1 * m + (1 - b1) * g
//   p = p - lr * (grad K(c) + wd * p)
//   m = b2 * m + (1 - b2) * g
// (the paper writes m with the opposite sign). It minimizes f(x) + K*(x) with the constraint set
// scaled by 1/wd. K = ||.||_1 gives Lion (box ||x||_inf <= 1/wd). This file gives K = ||.||_2
// over the whole group: grad K(c) = c / ||c||_2, normalized momentum, which solves f on the ball
// ||x||_2 <= 1/wd.
#pragma once

#include <cmath>

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleByLionL2 {
  static constexpr int slots = 1;
  static std::vector<std::string> slot_names() { return {"m"}; }
  static constexpr bool reduces = true;
  double beta1 = 0.9;
  double beta2 = 0.99;
  struct Scalars {
    T b1, one_minus_b1, b2, one_minus_b2, inverse_norm;
  };
  double reduce_term(T g, T, const T* s) const {
    const double c = beta1 * static_cast<double>(s[0]) + (1.0 - beta1) * static_cast<double>(g);
    return c * c;
  }
  Scalars prepare(const StepContext&, double squared_norm) const {
    const double inverse = squared_norm > 0.0 ? 1.0 / std::sqrt(squared_norm) : 0.0;  // grad K(0) = 0
    return {static_cast<T>(beta1), static_cast<T>(1.0 - beta1), static_cast<T>(beta2), static_cast<T>(1.0 - beta2),
            static_cast<T>(inverse)};
  }
  T apply(T g, T, T* s, const Scalars& c) const {
    const T direction = (c.b1 * s[0] + c.one_minus_b1 * g) * c.inverse_norm;
    s[0] = c.b2 * s[0] + c.one_minus_b2 * g;
    return direction;
  }
};

template <class T>
using LionL2 = Chain<T, ScaleByLionL2<T>, AddDecoupledDecay<T>, ScaleByLearningRate<T>>;

template <class T>
LionL2<T> lion_l2(double beta1, double beta2, double weight_decay) {
  return LionL2<T>({beta1, beta2}, {weight_decay}, {});
}

}  // namespace descent::optim
