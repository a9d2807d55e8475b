// Every prefix of a prompt as its own regression problem, the evaluation of Garg et al. ("What Can
// Transformers Learn In-Context?", NeurIPS 2022) and of Fu, Chen, Jia & Sharan ("Transformers Learn
// Higher-Order Optimization Methods for In-Context Learning"): a sequence of N points (x_i, y_i)
// gives N problems, position i predicting y_i from the pairs j < i (position 0 predicts 0). A
// transformer reading the interleaved sequence predicts at every x position at once; the reference
// algorithms here produce the same {B, N} layout, so residuals compare position by position.
//   - Iterative Newton as their code has it (reference_algorithms.hpp).
//   - Gradient descent on (1/2) ||X w - y||^2 from w = 0 with step eta (their
//     LeastSquaresModelGradientDescent, eta = 0.01), in closed form so that any step count costs
//     the same: w_k = V diag((1 - (1 - eta lambda)^k) / lambda) V^T X^T y for S = V diag(lambda) V^T.
//   - Least squares (the minimum-norm solution while the prefix has fewer than d points).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "descent/icl/tasks.hpp"

namespace descent::icl {

// The N points of a prompt in order, the query last: x {B, N, d}, y {B, N} (N = n + 1).
struct PointSequence {
  torch::Tensor x;
  torch::Tensor y;
  std::int64_t batch() const { return x.size(0); }
  std::int64_t points() const { return x.size(1); }
  std::int64_t dimension() const { return x.size(2); }
};
PointSequence point_sequence(const Prompts& prompts);

// The normal equations of every prefix, float64.
struct PrefixSystems {
  torch::Tensor gram;     // {B, N, d, d}: S_i = sum_{j < i} x_j x_j^T
  torch::Tensor moment;   // {B, N, d}: b_i = sum_{j < i} y_j x_j
  torch::Tensor inputs;   // {B, N, d}: the x_i each prefix predicts at
  torch::Tensor targets;  // {B, N}: y_i
};
PrefixSystems prefix_systems(const PointSequence& sequence);

// Iterative Newton (iterative_newton_inverses on every prefix's S; an empty prefix predicts 0):
// predictions x_i . (M_k b_i), k = 0 ... steps: {steps + 1, B, N}.
torch::Tensor newton_prefix_predictions(const PrefixSystems& systems, int steps);
// Predictions after each step count in `steps`: {steps.size(), B, N}.
torch::Tensor gradient_descent_prefix_predictions(const PrefixSystems& systems, double eta, const std::vector<std::int64_t>& steps);
torch::Tensor least_squares_prefix_predictions(const PrefixSystems& systems);  // {B, N}

// Fu et al.'s similarity of two predictors: the cosine between their residual vectors
// (prediction - y over the N positions) for each prompt, averaged over prompts.
double residual_similarity(const torch::Tensor& predictions, const torch::Tensor& reference, const torch::Tensor& targets);

// Mean squared error at each position, over prompts: {N}.
torch::Tensor mean_squared_error_by_position(const torch::Tensor& predictions, const torch::Tensor& targets);

}  // namespace descent::icl
