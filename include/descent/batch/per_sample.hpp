// Per-sample gradient statistics (||g_i||^2, <g_i, g>, ||g||^2) of a model on a micro-batch,
// for the adaptive batch tests. LibTorch 1.13 has no vmap: for the MLP (linear layers only) they
// come in closed form from one backward pass, g_i of a layer being the outer product of the
// sample's output gradient and its input; for any other model, from one backward pass per sample.
#pragma once

#include <torch/torch.h>

#include "descent/batch/adaptive_batch.hpp"
#include "descent/models/models.hpp"

namespace descent::batch {

// Gradients of each sample's own loss (cross-entropy for classes, squared error otherwise).
GradientStatistics per_sample_statistics(models::Model& model, const torch::Tensor& x, const torch::Tensor& y,
                                         bool classification);

// The loop over samples, for any model (also the check for the closed form).
GradientStatistics per_sample_statistics_by_loop(models::Model& model, const torch::Tensor& x, const torch::Tensor& y,
                                                 bool classification);

}  // namespace descent::batch
