// signSGD (Bernstein, Wang, Azizzadenesheli & Anandkumar, ICML 2018):
//   p = p - lr * sign(g)       (sign(0) = 0)
// Lion with beta1 = beta2 = 0 and no decay moves the same way.
#pragma once

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleBySign {
  static constexpr int slots = 0;
  struct Scalars {};
  Scalars prepare(const StepContext&) const { return {}; }
  T apply(T g, T, T*, const Scalars&) const { return sign_of(g); }
};

template <class T>
using SignSgd = Chain<T, AddL2Decay<T>, ScaleBySign<T>, ScaleByLearningRate<T>>;

}  // namespace descent::optim
