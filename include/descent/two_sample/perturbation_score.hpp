// The expected perturbation score of EPS-AD (Zhang, Liu, Du, Li, Han & Liu, "Detecting Adversarial
// Data by Probing Multiple Perturbations Using Expected Perturbation Score", ICML 2023):
//   EPS(x) = (1/T) sum_{k=1..T} s(x_{t_k}, t_k),  x_{t_k} = alpha(t_k) x + sigma(t_k) z_k,  t_k = k dt,
// one fresh z_k ~ N(0, I) per step (their eval_epsad.py: T = diffuse_t = 50, dt = 1/1000), with s
// the score of the diffused data distribution. Here s is either the exact score of a Gaussian
// mixture (the analytic analog of their pretrained diffusion model) or any score function, e.g. a
// network trained by denoising score matching.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "descent/two_sample/vp_sde.hpp"

namespace descent::two_sample {

// x -> s(x, t): rows of x {B, d} to scores {B, d}.
using ScoreFunction = std::function<torch::Tensor(const torch::Tensor& x, double t)>;

// A mixture of Gaussians: weights {K} summing to 1, means {K, d}, standard deviations {K}. Isotropic
// unless `subspace` ({d, k}, orthonormal columns) is set: then component k has std stds[k] inside the
// subspace and `off_subspace_std` across it, data concentrated near a k-dimensional plane (as
// natural images lie near a low-dimensional manifold).
struct GaussianMixture {
  torch::Tensor weights, means, stds;
  torch::Tensor subspace{};
  double off_subspace_std = 0.0;

  // n draws and their component indices (the classes of the synthetic task).
  std::pair<torch::Tensor, torch::Tensor> sample(std::int64_t n, torch::Generator& generator) const;
};

// grad_x log p_t(x) for p_t = sum_k w_k N(alpha mu_k, alpha^2 Sigma_k + sigma^2 I), the mixture
// diffused by the SDE to time t: sum_k r_k(x) C_k^{-1} (alpha mu_k - x), r_k the posterior
// responsibilities (computed in log space). C_k is diagonal in the subspace's basis.
torch::Tensor mixture_score(const GaussianMixture& mixture, const VpSde& sde, const torch::Tensor& x, double t);

struct PerturbationOptions {
  int steps = 50;       // T
  double dt = 1e-3;     // t_k = k dt
};

// EPS of every row of x (already in the diffusion's coordinates), {B, d}.
torch::Tensor expected_perturbation_score(const ScoreFunction& score, const VpSde& sde, const torch::Tensor& x,
                                          const PerturbationOptions& options, torch::Generator& generator);

}  // namespace descent::two_sample
