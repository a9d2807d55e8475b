// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), as
// torch.optim.AdamW: the decay is taken out of the gradient and applied to the parameter,
//   p = p - lr * wd * p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// (torch multiplies p by (1 - lr * wd) first; the two agree to rounding). Optional AmsGrad.
#pragma once

#include "descent/optim/algorithms/adam.hpp"

namespace descent::optim {

template <class T, bool AmsGrad = false>
using AdamW = Chain<T, ScaleByAdam<T, AmsGrad>, AddDecoupledDecay<T>, ScaleByLearningRate<T>>;

template <class T, bool AmsGrad = false>
AdamW<T, AmsGrad> adamw(const AdamOptions& o) {
  return AdamW<T, AmsGrad>({o.beta1, o.beta2, o.eps}, {o.weight_decay}, {});
}

}  // namespace descent::optim
