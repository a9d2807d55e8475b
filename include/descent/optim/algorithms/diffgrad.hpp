// diffGrad (Dubey et al., "diffGrad: An Optimization Method for Convolutional Neural Networks",
// IEEE TNNLS 2019), from shivram1987/diffGrad:
//   g  = g + wd * p
//   m  = b1 * m + (1 - b1) * g,  v = b2 * v + (1 - b2) * g^2
//   xi = 1 / (1 + exp(-|g_prev - g|))          (g_prev = 0 at the first step, so xi in [0.5, 1))
//   p  = p - lr * sqrt(1 - b2^t) / (1 - b1^t) * xi * m / (sqrt(v) + eps)
// eps is added to the square root of the uncorrected v, as in the reference code (and old torch).
// exp is vector_math.hpp's negative_exp (within 2 ulp of std::exp), so the loop vectorizes.
//
// Where implementations disagree: the published `diffGrad.py` starts previous_grad at zeros, so
// its first step has xi = sigmoid(|g_1|) as above; then it stores `previous_grad = grad`, an alias
// of p.grad, and with in-place zero_grad and backward g_prev is always the current gradient: from
// step 2 on xi == 0.5, and the paper's runs were Adam (eps on the uncorrected root) at half the
// rate after one diffGrad step. `diffGrad_v2.py` clones the gradient and gives the rule above.
// `published = true` reproduces the published code; the default is the corrected rule.
#pragma once

#include <cmath>

#include "descent/optim/transforms.hpp"
#include "descent/optim/vector_math.hpp"

namespace descent::optim {

template <class T, bool Published = false>
struct ScaleByDiffGrad {
  static constexpr int slots = Published ? 2 : 3;
  static std::vector<std::string> slot_names() {
    if constexpr (Published) return {"m", "v"};
    return {"m", "v", "previous_grad"};
  }
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  struct Scalars {
    T b1, one_minus_b1, b2, one_minus_b2, step_scale, eps, first;
  };
  Scalars prepare(const StepContext& context) const {
    const double t = static_cast<double>(context.step);
    const double scale = std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t));
    return {static_cast<T>(beta1), static_cast<T>(1.0 - beta1), static_cast<T>(beta2), static_cast<T>(1.0 - beta2),
            static_cast<T>(scale), static_cast<T>(eps), static_cast<T>(context.step == 1)};
  }
  T apply(T g, T, T* s, const Scalars& c) const {
    s[0] = c.b1 * s[0] + c.one_minus_b1 * g;
    s[1] = c.b2 * s[1] + c.one_minus_b2 * g * g;
    T xi;
    if constexpr (Published) {
      // Step 1 against the zero-initialized previous gradient, later steps against an alias of g.
      xi = c.first != T(0) ? T(1) / (T(1) + negative_exp(std::abs(g))) : T(0.5);
    } else {
      xi = T(1) / (T(1) + negative_exp(std::abs(s[2] - g)));
      s[2] = g;
    }
    return c.step_scale * (xi * s[0] / (std::sqrt(s[1]) + c.eps));
  }
};

struct DiffGradOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

template <class T, bool Published = false>
using DiffGrad = Chain<T, AddL2Decay<T>, ScaleByDiffGrad<T, Published>, ScaleByLearningRate<T>>;

template <class T, bool Published = false>
DiffGrad<T, Published> diffgrad(const DiffGradOptions& o) {
  return DiffGrad<T, Published>({o.weight_decay}, {o.beta1, o.beta2, o.eps}, {});
}

}  // namespace descent::optim
