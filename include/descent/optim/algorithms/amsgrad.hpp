// AMSGrad (Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018): Adam whose
// denominator uses the running maximum of the second moment, vmax = max(vmax, v), so the
// effective step never grows. torch exposes it as Adam(amsgrad=True), with bias correction on
// vmax as below; the paper's Algorithm 2 has no bias correction:
//   p = p - lr / (1 - b1^t) * m / (sqrt(vmax) / sqrt(1 - b2^t) + eps)
#pragma once

#include "descent/optim/algorithms/adam.hpp"

namespace descent::optim {

template <class T>
using AmsGrad = Adam<T, true>;

template <class T>
AmsGrad<T> amsgrad(const AdamOptions& o) {
  return adam<T, true>(o);
}

}  // namespace descent::optim
