// The closed forms of Mahankali, Hashimoto & Ma, "One Step of Gradient Descent is Provably the
// Optimal In-Context Learner with One Layer of Linear Self-Attention" (ICLR 2024), for prompts
// x_i ~ N(0, Sigma), w ~ N(0, I_d), y = w.x + eps, eps ~ N(0, sigma^2), n context pairs. The
// one-layer LSA's global optimum predicts y_hat = query^T Gamma h with h = (1/n) sum_i y_i x_i
// (one step of preconditioned GD from w = 0). With A = E[h h^T] = (1/n) Sigma ((n + 1) Sigma +
// (tr Sigma + sigma^2) I) and E[h w^T] = Sigma, the expected squared error of the query is
//     L(Gamma) = tr(Sigma Gamma A Gamma^T) - 2 tr(Sigma Gamma Sigma) + tr Sigma + sigma^2,
// minimized by Gamma* = Sigma A^{-1} = n ((n + 1) Sigma + (tr Sigma + sigma^2) I)^{-1}. For
// Sigma = I: Gamma* = eta* I with eta* = n / (n + d + 1 + sigma^2) and L(eta*) = d (1 - eta*) + sigma^2.
// (Derived here, and checked against Monte Carlo in the tests.)
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "descent/icl/tasks.hpp"

namespace descent::icl {

// eta* for isotropic inputs.
double optimal_step(std::int64_t context, std::int64_t dimension, double noise_variance);

// Gamma* for Sigma = diag(covariance_diagonal): {d, d} float64.
torch::Tensor optimal_preconditioner(const std::vector<double>& covariance_diagonal, std::int64_t context, double noise_variance);

// L(Gamma) for Sigma = diag(covariance_diagonal).
double one_step_loss(const torch::Tensor& gamma, const std::vector<double>& covariance_diagonal, std::int64_t context,
                     double noise_variance);

// h = (1/n) sum_i y_i x_i per prompt: {B, d}.
torch::Tensor context_correlation(const Prompts& prompts);

// The Gamma whose query^T Gamma h best fits `predictions` in least squares over the prompts: {d, d}.
torch::Tensor fit_preconditioner(const Prompts& prompts, const torch::Tensor& predictions);

}  // namespace descent::icl
