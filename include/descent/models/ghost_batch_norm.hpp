// Ghost batch normalization (Hoffer, Hubara & Soudry, "Train longer, generalize better: closing
// the generalization gap in large batch training of neural networks", NeurIPS 2017; from
// eladhoffer/bigBatch): in training, a batch of B samples is normalized in chunks ("ghost
// batches") of ghost_size samples, each with its own mean and variance, so the statistics stay
// as noisy as small-batch training's; weight and bias are shared. Running statistics are updated
// once per chunk, as torch's BatchNorm1d would for each chunk in turn. With ghost_size >= B it
// is ordinary batch normalization. In evaluation, the running statistics are used.
#pragma once

#include <torch/torch.h>

namespace descent::models {

struct GhostBatchNormImpl : torch::nn::Module {
  GhostBatchNormImpl(std::int64_t features, std::int64_t ghost_size, double momentum = 0.1, double eps = 1e-5);
  torch::Tensor forward(const torch::Tensor& x);

  std::int64_t ghost_size;
  double momentum, eps;
  torch::Tensor weight, bias, running_mean, running_var;
};
TORCH_MODULE(GhostBatchNorm);

}  // namespace descent::models
