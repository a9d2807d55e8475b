// SGD with heavy-ball or Nesterov momentum, dampening and coupled (L2) weight decay, as
// torch.optim.SGD (Sutskever et al., 2013 for the momentum form):
//   d = g + wd * p
//   b = d                              at the first step
//   b = mu * b + (1 - dampening) * d   after
//   d = d + mu * b  (Nesterov)  or  d = b
//   p = p - lr * d
// Without momentum there is no buffer (and dampening has no effect), as in torch.
#pragma once

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleByMomentum {
  static constexpr int slots = 1;
  static std::vector<std::string> slot_names() { return {"momentum_buffer"}; }
  double momentum = 0.9;
  double dampening = 0.0;
  bool nesterov = false;
  struct Scalars {
    T mu, keep, first, nesterov;
  };
  Scalars prepare(const StepContext& context) const {
    return {static_cast<T>(momentum), static_cast<T>(1.0 - dampening), static_cast<T>(context.step == 1),
            static_cast<T>(nesterov)};
  }
  T apply(T d, T, T* s, const Scalars& c) const {
    // Branch-free so the loop vectorizes: at the first step b = d exactly.
    const T later = c.mu * s[0] + c.keep * d;
    s[0] = c.first != T(0) ? d : later;
    return c.nesterov != T(0) ? d + c.mu * s[0] : s[0];
  }
};

struct SgdOptions {
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

template <class T>
using PlainSgd = Chain<T, AddL2Decay<T>, ScaleByLearningRate<T>>;
template <class T>
using MomentumSgd = Chain<T, AddL2Decay<T>, ScaleByMomentum<T>, ScaleByLearningRate<T>>;

template <class T>
MomentumSgd<T> momentum_sgd(const SgdOptions& o) {
  return MomentumSgd<T>({o.weight_decay}, {o.momentum, o.dampening, o.nesterov}, {});
}

template <class T>
PlainSgd<T> plain_sgd(const SgdOptions& o) {
  return PlainSgd<T>({o.weight_decay}, {});
}

}  // namespace descent::optim
