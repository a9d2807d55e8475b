// AdaGrad (Duchi, Hazan & Singer, JMLR 2011), as torch.optim.Adagrad:
//   g = g + wd * p
//   s = s + g * g                       (s starts at initial_accumulator_value)
//   p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
#pragma once

#include <cmath>

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleByAdagrad {
  static constexpr int slots = 1;
  static std::vector<std::string> slot_names() { return {"sum"}; }
  double lr_decay = 0.0;
  double eps = 1e-10;
  double initial_accumulator_value = 0.0;
  struct Scalars {
    T decay, eps;
  };
  double initial_state(int) const { return initial_accumulator_value; }
  Scalars prepare(const StepContext& context) const {
    return {static_cast<T>(1.0 / (1.0 + static_cast<double>(context.step - 1) * lr_decay)), static_cast<T>(eps)};
  }
  T apply(T g, T, T* s, const Scalars& c) const {
    s[0] = s[0] + g * g;
    return c.decay * (g / (std::sqrt(s[0]) + c.eps));
  }
};

struct AdagradOptions {
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
};

template <class T>
using Adagrad = Chain<T, AddL2Decay<T>, ScaleByAdagrad<T>, ScaleByLearningRate<T>>;

template <class T>
Adagrad<T> adagrad(const AdagradOptions& o) {
  return Adagrad<T>({o.weight_decay}, {o.lr_decay, o.eps, o.initial_accumulator_value}, {});
}

}  // namespace descent::optim
