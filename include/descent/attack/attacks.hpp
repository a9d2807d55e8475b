// Gradients with respect to a model's input, and the first-order attacks built on them:
//   - FGSM (Goodfellow, Shlens & Szegedy, ICLR 2015): x' = x + eps sign(grad_x L);
//   - BIM (Kurakin, Goodfellow & Bengio, 2017): FGSM steps of size alpha, projected back into the
//     eps-ball after each;
//   - PGD (Madry et al., ICLR 2018): BIM from a uniformly random start inside the ball; the L2
//     version steps along grad / ||grad||_2 and projects onto the L2 ball;
//   - MIM (Dong et al., CVPR 2018): BIM on an accumulated gradient g <- mu g + grad / ||grad||_1.
// All run per example (each example its own ball and normalization) on the mean loss the trainer
// uses (cross-entropy for classes, squared error otherwise), with the model's parameters untouched
// and no gradient left in them; the model's mode is the caller's (batch norm in training mode
// normalizes with the attacked batch's statistics). The input domain is not clipped: descent's inputs may be
// standardized, so the valid range is the caller's to impose (clip_min / clip_max).
#pragma once

#include <torch/torch.h>

#include "descent/attack/options.hpp"
#include "descent/models/models.hpp"

namespace descent::attack {

// d loss_i / d x_i for every example of the batch (the gradient of the summed loss): x's shape.
torch::Tensor input_gradient(models::Model& model, const torch::Tensor& x, const torch::Tensor& y, bool classification);

// The attacked batch. `generator` draws PGD's random start. Throws ConfigError for an unknown kind
// or an L2 request of an L-infinity-only attack.
torch::Tensor perturb(models::Model& model, const torch::Tensor& x, const torch::Tensor& y, bool classification,
                      const AttackOptions& options, torch::Generator& generator);

// Projects `x` onto the ball of radius eps around `center` in the norm, per example.
torch::Tensor project(const torch::Tensor& x, const torch::Tensor& center, Norm norm, double eps);

}  // namespace descent::attack
