// A score network trained by denoising score matching (Vincent, 2011; Song et al., ICLR 2021):
// for x_t = alpha(t) x + sigma(t) z, the score of the diffused data at x_t is the minimizer of
//   E_{t, x, z} || sigma(t) s(x_t, t) + z ||^2
// (the noise-prediction form, weighted by sigma(t)^2 so every noise level counts alike). The network
// is an MLP on [x_t, t] with SiLU activations; t is drawn uniformly from [t_min, t_max], the range
// the caller will query (EPS-AD reads t <= 0.05).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "descent/two_sample/vp_sde.hpp"

namespace descent::two_sample {

struct ScoreNetworkImpl : torch::nn::Module {
  ScoreNetworkImpl(std::int64_t dimension, const std::vector<std::int64_t>& hidden);
  torch::Tensor forward(const torch::Tensor& x, double t);  // s(x, t), x {B, d}
  torch::Tensor forward_at(const torch::Tensor& x, const torch::Tensor& t);  // one t per row, {B, 1}

  std::vector<torch::nn::Linear> layers;
};
TORCH_MODULE(ScoreNetwork);

struct ScoreMatchingOptions {
  double t_min = 1e-3, t_max = 0.1;
  double learning_rate = 1e-3;
  std::int64_t steps = 3000, batch = 256;
};

// Trains on rows of `data` ({n, d}, in the diffusion's coordinates) with Adam; returns the loss of
// every step.
std::vector<double> train_score_network(ScoreNetwork& network, const torch::Tensor& data, const VpSde& sde,
                                        const ScoreMatchingOptions& options, torch::Generator& generator);

}  // namespace descent::two_sample
