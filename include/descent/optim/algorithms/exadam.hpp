// EXAdam (Adly, "EXAdam: The Power of Adaptive Cross-Moments", arXiv 2412.20302), ported from
// the logic of AhmedMostafa16/EXAdam (commits 9ff8463, 6e3a170):
//   p  = p - lr * wd * p                                   (decoupled decay, official code only)
//   m  = b1 * m + (1 - b1) * g,  v = b2 * v + (1 - b2) * g^2
//   d1 = 1 + v / (v + eps) * b2^t,  d2 = 1 + m^2 / (m^2 + eps) * b1^t
//   m~ = m / (1 - b1^t) * d1,  v~ = v / (1 - b2^t) * d2,  g~ = g / (1 - b1^t) * d1
//   p  = p - a_t * (m~ + g~) / (sqrt(v~) + eps)
// a_t = lr in the current version (May 2025); the first version (Dec 2024) grew the step as
// a_t = lr * ln(sqrt(2) * sqrt(t + 1)): `growing_step = true`. The first step is about 16x Adam's
// (g~ = 10 * d1 * g at t = 1).
#pragma once

#include <cmath>

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleByExAdam {
  static constexpr int slots = 2;
  static std::vector<std::string> slot_names() { return {"m", "v"}; }
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  bool growing_step = false;
  struct Scalars {
    T b1, one_minus_b1, b2, one_minus_b2, b1_t, b2_t, inverse_bc1, inverse_bc2, eps, step_growth;
  };
  Scalars prepare(const StepContext& context) const {
    const double t = static_cast<double>(context.step);
    const double b1_t = std::pow(beta1, t), b2_t = std::pow(beta2, t);
    const double growth = growing_step ? std::log(std::sqrt(2.0) * std::sqrt(t + 1.0)) : 1.0;
    return {static_cast<T>(beta1), static_cast<T>(1.0 - beta1), static_cast<T>(beta2), static_cast<T>(1.0 - beta2),
            static_cast<T>(b1_t),  static_cast<T>(b2_t),        static_cast<T>(1.0 / (1.0 - b1_t)),
            static_cast<T>(1.0 / (1.0 - b2_t)), static_cast<T>(eps), static_cast<T>(growth)};
  }
  T apply(T g, T, T* s, const Scalars& c) const {
    const T m = s[0] = c.b1 * s[0] + c.one_minus_b1 * g;
    const T v = s[1] = c.b2 * s[1] + c.one_minus_b2 * g * g;
    const T d1 = T(1) + v / (v + c.eps) * c.b2_t;
    const T d2 = T(1) + m * m / (m * m + c.eps) * c.b1_t;
    const T m_tilde = m * c.inverse_bc1 * d1;
    const T v_tilde = v * c.inverse_bc2 * d2;
    const T g_tilde = g * c.inverse_bc1 * d1;
    return c.step_growth * ((m_tilde + g_tilde) / (std::sqrt(v_tilde) + c.eps));
  }
};

struct ExAdamOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool growing_step = false;
};

template <class T>
using ExAdam = Chain<T, ScaleByExAdam<T>, AddDecoupledDecay<T>, ScaleByLearningRate<T>>;

template <class T>
ExAdam<T> exadam(const ExAdamOptions& o) {
  return ExAdam<T>({o.beta1, o.beta2, o.eps, o.growing_step}, {o.weight_decay}, {});
}

}  // namespace descent::optim
