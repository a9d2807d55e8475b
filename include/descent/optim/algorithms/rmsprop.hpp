// RMSProp (Tieleman & Hinton, 2012, lecture 6.5), centered (Graves, 2013) and with momentum, as
// torch.optim.RMSprop:
//   g   = g + wd * p
//   v   = alpha * v + (1 - alpha) * g^2
//   c   = alpha * c + (1 - alpha) * g                 (centered)
//   avg = sqrt(v - c^2) + eps  (centered)  or  sqrt(v) + eps
//   b   = mu * b + g / avg, p = p - lr * b            (momentum > 0)
//   p   = p - lr * g / avg                            (otherwise)
// Centered and momentum are template flags, so each variant keeps only the state it uses.
#pragma once

#include <cmath>

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T, bool Centered, bool Momentum>
struct ScaleByRmsprop {
  static constexpr int slots = 1 + (Centered ? 1 : 0) + (Momentum ? 1 : 0);
  static std::vector<std::string> slot_names() {
    std::vector<std::string> names = {"square_avg"};
    if (Centered) names.push_back("grad_avg");
    if (Momentum) names.push_back("momentum_buffer");
    return names;
  }
  double alpha = 0.99;
  double eps = 1e-8;
  double momentum = 0.0;
  struct Scalars {
    T alpha, one_minus_alpha, eps, mu;
  };
  Scalars prepare(const StepContext&) const {
    return {static_cast<T>(alpha), static_cast<T>(1.0 - alpha), static_cast<T>(eps), static_cast<T>(momentum)};
  }
  T apply(T g, T, T* s, const Scalars& c) const {
    s[0] = c.alpha * s[0] + c.one_minus_alpha * g * g;
    T avg;
    if constexpr (Centered) {
      s[1] = c.alpha * s[1] + c.one_minus_alpha * g;
      avg = std::sqrt(s[0] - s[1] * s[1]) + c.eps;
    } else {
      avg = std::sqrt(s[0]) + c.eps;
    }
    if constexpr (Momentum) {
      constexpr int b = Centered ? 2 : 1;
      s[b] = c.mu * s[b] + g / avg;
      return s[b];
    } else {
      return g / avg;
    }
  }
};

struct RmspropOptions {
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};

template <class T, bool Centered, bool Momentum>
using Rmsprop = Chain<T, AddL2Decay<T>, ScaleByRmsprop<T, Centered, Momentum>, ScaleByLearningRate<T>>;

template <class T, bool Centered, bool Momentum>
Rmsprop<T, Centered, Momentum> rmsprop(const RmspropOptions& o) {
  return Rmsprop<T, Centered, Momentum>({o.weight_decay}, {o.alpha, o.eps, o.momentum}, {});
}

}  // namespace descent::optim
