// The algorithms a trained in-context learner is compared with, run on the same prompts:
//   - gradient descent on (1/2n) sum_i (y_i - w.x_i)^2 from w = 0, w <- w + (eta/n) X^T (y - X w);
//   - GD++ (von Oswald et al., ICML 2023, sec. 3): each step also moves every input by the
//     curvature correction x_j <- x_j - (gamma/n) sum_i x_i x_i^T x_j, both updates from the
//     tokens before the step (what one constructed attention layer computes);
//   - Iterative Newton (Fu, Chen, Jia & Sharan; their code's LeastSquaresModelNewtonMethod):
//     S = X^T X, M_0 = alpha S^T with alpha = 1 / ||S S^T||_F (their newton_inv; the specs' 2 / ...
//     is not what the code runs), M_{k+1} = M_k (2I - S M_k), w_k = M_k X^T y. Since
//     I - S M_{k+1} = (I - S M_k)^2 the error squares each step;
//   - ordinary least squares (the minimum-norm solution when n < d).
// Every function takes a batch of prompts and returns predictions for their queries.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <vector>

#include "descent/icl/tasks.hpp"

namespace descent::icl {

// Predictions after each of `steps` GD steps: {steps, B} (row k: after k + 1 steps).
torch::Tensor gradient_descent_predictions(const Prompts& prompts, double eta, int steps);

// Predictions after each of `steps` GD++ steps: {steps, B}.
torch::Tensor gd_plus_plus_predictions(const Prompts& prompts, double eta, double gamma, int steps);

// M_0 ... M_steps of Iterative Newton for a batch of square matrices S {..., d, d}: steps + 1
// tensors of S's shape. S = 0 keeps M = 0.
std::vector<torch::Tensor> iterative_newton_inverses(const torch::Tensor& s, int steps);
// The same for each prompt's S = X^T X: {B, d, d}.
std::vector<torch::Tensor> newton_inverses(const Prompts& prompts, int steps);
// Predictions query.(M_k X^T y) for k = 0 ... steps: {steps + 1, B}.
torch::Tensor newton_predictions(const Prompts& prompts, int steps);

// Ordinary least squares (minimum norm): {B}.
torch::Tensor least_squares_predictions(const Prompts& prompts);

double mean_squared_error(const torch::Tensor& predictions, const torch::Tensor& targets);

// The minimizer of a unimodal f on [low, high]: a log-spaced grid of 48 points, then golden-section
// search on the bracket around the grid's best to a relative width of 1e-10.
double minimize_on_interval(const std::function<double(double)>& f, double low, double high);

// d prediction / d query for each prompt ({B, d}), by autograd through `predict`.
torch::Tensor query_sensitivity(const std::function<torch::Tensor(const Prompts&)>& predict, const Prompts& prompts);

// Mean over prompts of the cosine between two {B, d} rows.
double mean_cosine(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace descent::icl
