// Linear self-attention (no softmax), the model of von Oswald et al., "Transformers Learn
// In-Context by Gradient Descent" (ICML 2023), eq. (5), and of Mahankali et al. (ICLR 2024):
// every token e_j in R^{d+1} is updated from the n context tokens (keys and values) as
//     e_j <- e_j + (1/n) P sum_{i <= n} (W_V e_i) (W_K e_i)^T (W_Q e_j),
// one (W_K, W_Q, W_V, P) per layer, no LayerNorm, no MLP. The 1/n sits inside the layer (von
// Oswald's construction carries it in P as eta/N instead), so a layer's scale does not change with
// the prompt's length. The prediction is read from the query token's y slot with its sign flipped
// (von Oswald's convention: the slot accumulates -y_hat).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "descent/icl/tasks.hpp"

namespace descent::icl {

struct LinearSelfAttentionLayer : torch::nn::Module {
  LinearSelfAttentionLayer(std::int64_t token_dimension, double init_scale, torch::Generator& generator);
  // tokens {B, n + 1, d + 1}, the last one the query; returns the updated tokens.
  torch::Tensor forward(const torch::Tensor& tokens) const;

  torch::Tensor key, query, value, projection;  // W_K, W_Q, W_V, P
};

struct LinearSelfAttention : torch::nn::Module {
  // Weights drawn N(0, init_scale^2) from `generator`, float64 (von Oswald's init scale is 0.002).
  LinearSelfAttention(std::int64_t dimension, std::int64_t layers, double init_scale, torch::Generator& generator);
  torch::Tensor forward(torch::Tensor tokens) const;  // all layers
  // The prediction for each prompt's query: {B}.
  torch::Tensor predict(const Prompts& prompts) const;
  // Predictions after each layer: {layers, B}.
  torch::Tensor predictions_per_layer(const Prompts& prompts) const;

  std::vector<std::shared_ptr<LinearSelfAttentionLayer>> layers;
};

// Sets every layer to von Oswald's construction of one GD step on (1/2n) sum (y_i - w.x_i)^2 from
// w = 0 with step eta[l] (W_K = W_Q = [[I, 0], [0, 0]], W_V = [[0, 0], [0, -1]],
// P = [[0, 0], [0, eta]]), and, where gamma[l] != 0, GD++'s curvature correction of the inputs
// (W_V's top-left -I, P's top-left gamma I: x_j <- x_j - (gamma/n) sum_i x_i x_i^T x_j).
void construct_gradient_descent(LinearSelfAttention& model, const std::vector<double>& eta, const std::vector<double>& gamma);

}  // namespace descent::icl
