// Adam (Kingma & Ba, ICLR 2015) with coupled L2 weight decay, as torch.optim.Adam:
//   g = g + wd * p
//   m = b1 * m + (1 - b1) * g
//   v = b2 * v + (1 - b2) * g^2
//   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// With AmsGrad (Reddi, Kale & Kumar, ICLR 2018) the denominator uses vmax = max(vmax, v).
// eps sits outside the bias-corrected square root, as in torch; the paper's Algorithm 1 agrees.
#pragma once

#include <algorithm>
#include <cmath>

#include "descent/optim/transforms.hpp"

namespace descent::optim {

// Adam's per-step constants, shared by the rules built on its moments (AdaBelief).
template <class T>
struct AdamScalars {
  T b1, one_minus_b1, b2, one_minus_b2, inverse_bc1, inverse_sqrt_bc2, eps;
};

template <class T>
AdamScalars<T> adam_scalars(double beta1, double beta2, double eps, std::int64_t step) {
  const double t = static_cast<double>(step);
  const double bc1 = 1.0 - std::pow(beta1, t), bc2 = 1.0 - std::pow(beta2, t);
  return {static_cast<T>(beta1), static_cast<T>(1.0 - beta1), static_cast<T>(beta2), static_cast<T>(1.0 - beta2),
          static_cast<T>(1.0 / bc1),  static_cast<T>(1.0 / std::sqrt(bc2)), static_cast<T>(eps)};
}

template <class T, bool AmsGrad = false>
struct ScaleByAdam {
  static constexpr int slots = AmsGrad ? 3 : 2;
  static std::vector<std::string> slot_names() {
    if constexpr (AmsGrad) return {"m", "v", "v_max"};
    return {"m", "v"};
  }
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  using Scalars = AdamScalars<T>;
  Scalars prepare(const StepContext& context) const { return adam_scalars<T>(beta1, beta2, eps, context.step); }
  T apply(T g, T, T* s, const Scalars& c) const {
    s[0] = c.b1 * s[0] + c.one_minus_b1 * g;
    s[1] = c.b2 * s[1] + c.one_minus_b2 * g * g;
    T second = s[1];
    if constexpr (AmsGrad) {
      s[2] = std::max(s[2], s[1]);
      second = s[2];
    }
    return c.inverse_bc1 * s[0] / (std::sqrt(second) * c.inverse_sqrt_bc2 + c.eps);
  }
};

struct AdamOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

template <class T, bool AmsGrad = false>
using Adam = Chain<T, AddL2Decay<T>, ScaleByAdam<T, AmsGrad>, ScaleByLearningRate<T>>;

template <class T, bool AmsGrad = false>
Adam<T, AmsGrad> adam(const AdamOptions& o) {
  return Adam<T, AmsGrad>({o.weight_decay}, {o.beta1, o.beta2, o.eps}, {});
}

}  // namespace descent::optim
