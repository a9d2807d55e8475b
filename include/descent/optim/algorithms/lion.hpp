// Lion (Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023), as
// google/automl lion/lion_pytorch.py:
//   p = p * (1 - lr * wd)
//   c = b1 * m + (1 - b1) * g
//   p = p - lr * sign(c)          (sign(0) = 0)
//   m = b2 * m + (1 - b2) * g
// Chen, Liu, Liang & Liu (ICLR 2024) show it solves min f(x) s.t. ||x||_inf <= 1/wd: for
// lr * wd <= 1 the box is forward-invariant and outside it the distance shrinks by (1 - lr * wd).
#pragma once

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleByLion {
  static constexpr int slots = 1;
  static std::vector<std::string> slot_names() { return {"m"}; }
  double beta1 = 0.9;
  double beta2 = 0.99;
  struct Scalars {
    T b1, one_minus_b1, b2, one_minus_b2;
  };
  Scalars prepare(const StepContext&) const {
    return {static_cast<T>(beta1), static_cast<T>(1.0 - beta1), static_cast<T>(beta2), static_cast<T>(1.0 - beta2)};
  }
  T apply(T g, T, T* s, const Scalars& c) const {
    const T direction = sign_of(c.b1 * s[0] + c.one_minus_b1 * g);
    s[0] = c.b2 * s[0] + c.one_minus_b2 * g;
    return direction;
  }
};

struct LionOptions {
  double beta1 = 0.9;
  double beta2 = 0.99;
  double weight_decay = 0.0;
};

// p + (-lr) * (sign(c) + wd * p) = p * (1 - lr * wd) - lr * sign(c), to rounding.
template <class T>
using Lion = Chain<T, ScaleByLion<T>, AddDecoupledDecay<T>, ScaleByLearningRate<T>>;

template <class T>
Lion<T> lion(const LionOptions& o) {
  return Lion<T>({o.beta1, o.beta2}, {o.weight_decay}, {});
}

}  // namespace descent::optim
