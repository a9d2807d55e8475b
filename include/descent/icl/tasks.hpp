// In-context linear regression: the task distribution of the in-context-learning papers. Each
// prompt draws a weight vector w ~ N(0, I_d) and n + 1 inputs x_i from one input distribution,
// with y_i = w.x_i + eps_i; the first n pairs are the context, the last input is the query.
//   - von Oswald et al., "Transformers Learn In-Context by Gradient Descent" (ICML 2023):
//     x ~ U(-1/2, 1/2)^d (their config's input_range = 1), no noise.
//   - Mahankali, Hashimoto & Ma, "One Step of Gradient Descent is Provably the Optimal In-Context
//     Learner with One Layer of Linear Self-Attention" (ICLR 2024): x ~ N(0, Sigma), noise sigma^2.
//   - Fu, Chen, Jia & Sharan, "Transformers Learn Higher-Order Optimization Methods for In-Context
//     Learning": x ~ N(0, I) and ill-conditioned covariances of condition number kappa.
// Prompts are float64 tensors batched along the first dimension.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace descent::icl {

enum class InputDistribution { normal, uniform };

struct TaskOptions {
  std::int64_t dimension = 10;  // d
  std::int64_t context = 10;    // n: pairs before the query
  InputDistribution inputs = InputDistribution::normal;
  double uniform_range = 1.0;         // uniform: x ~ U(-range/2, range/2)^d
  std::vector<double> covariance_diagonal{};  // normal: Sigma = diag(this) (empty: I); the same for every prompt
  double condition_number = 1.0;  // normal, > 1: each prompt draws Sigma = Q diag(spectrum) Q^T, Q Haar
  double noise = 0.0;             // standard deviation of eps
  // Garg et al.'s curriculum truncation: coordinates from this one on are zero in every input
  // (0: all d are live). The token width stays d, so one model sees every stage.
  std::int64_t active_dimensions = 0;
};

struct Prompts {
  torch::Tensor x;        // {B, n, d}
  torch::Tensor y;        // {B, n}
  torch::Tensor query;    // {B, d}
  torch::Tensor target;   // {B}: w.query + eps (what a predictor is scored against)
  torch::Tensor weights;  // {B, d}: the w of each prompt

  std::int64_t batch() const { return x.size(0); }
  std::int64_t context() const { return x.size(1); }
  std::int64_t dimension() const { return x.size(2); }
  Prompts head(std::int64_t count) const;  // the first `count` prompts (views)
};

// B prompts drawn from `generator`. Throws ConfigError for a covariance of the wrong length.
Prompts sample_prompts(const TaskOptions& options, std::int64_t batch, torch::Generator& generator);

// The eigenvalues of an ill-conditioned covariance: log-spaced from 1 down to 1/kappa, rescaled so
// that they sum to d (the same signal power as the identity).
std::vector<double> condition_spectrum(std::int64_t dimension, double kappa);

// Token form {B, n + 1, d + 1}: rows (x_i, y_i) for the context, then (query, 0).
torch::Tensor tokens(const Prompts& prompts);

}  // namespace descent::icl
