// Gradient-boosted neural networks (GBNN; Emami & Martinez-Munoz, "Sequential Training of Neural
// Networks with Gradient Boosting", IEEE Access 2023; GAA-UAM/GBNN gbnn/GBNN.py) for binary
// labels y in {-1, +1} with the loss log(1 + exp(-2 y F)):
//   F_0 = 0.5 log((1 + mean y) / (1 - mean y));
//   each stage: pseudo-residuals r = 2y / (1 + exp(2yF)); fit a J-unit one-hidden-layer net h
//   (logistic units, squared loss + L2 1e-4, L-BFGS, 200 iterations) to r on a random half of the
//   data; step rho = eta sum(r h) / sum(r h^2 (2y - r)) (one Newton step); F += rho h.
// The stages assemble into one network: all hidden units side by side, output weights rho_t W_t
// times 2 and output bias (F_0 + sum rho_t b_t) times 2, whose output is the logit 2F.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace descent::repro::gbnn {

struct Stage {
  torch::Tensor hidden_weight, hidden_bias;  // (J, d), (J)
  torch::Tensor output_weight;               // (1, J)
  double output_bias = 0.0;
  double rho = 0.0;
};

struct Booster {
  double f0 = 0.0;
  std::vector<Stage> stages;
  std::vector<double> training_loss;  // after each stage

  // F(x) = F_0 + sum_t rho_t h_t(x), stage by stage; `stages` limits how many are used.
  torch::Tensor staged(const torch::Tensor& x, std::size_t stages_used) const;
};

struct Options {
  int stages = 100;
  int units = 1;  // J
  double eta = 1.0;
  double subsample = 0.5;
  int lbfgs_iterations = 200;
  double l2 = 1e-4;
};

// x: (n, d) float64, y: (n) in {-1, +1} float64.
Booster fit(const torch::Tensor& x, const torch::Tensor& y, const Options& options, std::uint64_t seed);

// The assembled network: one hidden layer of all units, output = the logit 2F.
struct Network {
  torch::Tensor hidden_weight, hidden_bias, output_weight;
  double output_bias = 0.0;
  torch::Tensor forward(const torch::Tensor& x) const;
};
Network assemble(const Booster& booster, std::size_t stages_used);

double mean_loss(const torch::Tensor& f, const torch::Tensor& y);  // mean log(1 + exp(-2yF))

}  // namespace descent::repro::gbnn
