// AdaDelta (Zeiler, 2012), as torch.optim.Adadelta:
//   g     = g + wd * p
//   v     = rho * v + (1 - rho) * g^2
//   delta = sqrt(a + eps) / sqrt(v + eps) * g
//   a     = rho * a + (1 - rho) * delta^2
//   p     = p - lr * delta
#pragma once

#include <cmath>

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleByAdadelta {
  static constexpr int slots = 2;
  static std::vector<std::string> slot_names() { return {"square_avg", "acc_delta"}; }
  double rho = 0.9;
  double eps = 1e-6;
  struct Scalars {
    T rho, one_minus_rho, eps;
  };
  Scalars prepare(const StepContext&) const {
    return {static_cast<T>(rho), static_cast<T>(1.0 - rho), static_cast<T>(eps)};
  }
  T apply(T g, T, T* s, const Scalars& c) const {
    s[0] = c.rho * s[0] + c.one_minus_rho * g * g;
    const T delta = std::sqrt(s[1] + c.eps) / std::sqrt(s[0] + c.eps) * g;
    s[1] = c.rho * s[1] + c.one_minus_rho * delta * delta;
    return delta;
  }
};

struct AdadeltaOptions {
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;
};

template <class T>
using Adadelta = Chain<T, AddL2Decay<T>, ScaleByAdadelta<T>, ScaleByLearningRate<T>>;

template <class T>
Adadelta<T> adadelta(const AdadeltaOptions& o) {
  return Adadelta<T>({o.weight_decay}, {o.rho, o.eps}, {});
}

}  // namespace descent::optim
