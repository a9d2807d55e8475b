// The softmax transformer of the in-context regression papers (Garg et al., "What Can Transformers
// Learn In-Context?", NeurIPS 2022; Fu, Chen, Jia & Sharan, "Transformers Learn Higher-Order
// Optimization Methods for In-Context Learning"): a GPT-2 backbone read in and read out by linear
// maps. The prompt is interleaved as x_1, [y_1, 0, ..., 0], x_2, [y_2, 0, ...], ... (2N tokens of
// width d); read_in: Linear(d, width) plus learned positions; causal pre-LayerNorm blocks (the
// character transformer's, models/transformer.hpp); a final LayerNorm; read_out: Linear(width, 1)
// applied at the x positions, so token 2i predicts y_i from the pairs before it.
// Per-layer linear probes (Fu et al.'s probing.py trains a fresh read_out on each layer's hidden
// state with the rest frozen) are fitted here in closed form: the probe is a linear least-squares
// problem, and its minimizer is what their Adam run approaches.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "descent/icl/prefix_regression.hpp"
#include "descent/models/transformer.hpp"

namespace descent::icl {

struct InContextTransformerOptions {
  std::int64_t dimension = 5;  // d
  std::int64_t points = 21;    // N: the longest sequence of (x, y) pairs
  std::int64_t width = 32;
  std::int64_t heads = 2;
  std::int64_t layers = 4;
};

struct InContextTransformer : torch::nn::Module {
  // Weights N(0, 0.02^2), biases 0, LayerNorms identity (GPT-2's initializer), drawn from `seed`.
  InContextTransformer(const InContextTransformerOptions& options, std::uint64_t seed);

  // Predictions at every x position: {B, N} (float32).
  torch::Tensor forward(const PointSequence& sequence);
  // The hidden state at the x positions after each block, {B, N, width} per layer; the last one
  // through the final LayerNorm, as Hugging Face's GPT-2 reports hidden_states.
  std::vector<torch::Tensor> hidden_states(const PointSequence& sequence);

  InContextTransformerOptions options;
  torch::nn::Linear read_in{nullptr}, read_out{nullptr};
  torch::nn::Embedding positions{nullptr};
  std::vector<std::shared_ptr<models::TransformerBlock>> blocks;
  torch::nn::LayerNorm final_norm{nullptr};

 private:
  std::vector<torch::Tensor> run(const PointSequence& sequence, bool keep_every_layer);
};

// Interleaves a sequence into tokens {B, 2N, d}: x_i, then (y_i, 0, ..., 0).
torch::Tensor interleave(const PointSequence& sequence);

// A linear read-out w.h + c fitted by least squares (float64).
struct LinearProbe {
  torch::Tensor weight;  // {width}
  double bias = 0.0;
  torch::Tensor apply(const torch::Tensor& hidden) const;  // {..., width} -> {...}
};
// Fits y ~ w.h + c over all rows of features {..., width} and targets {...}.
LinearProbe fit_linear_probe(const torch::Tensor& features, const torch::Tensor& targets);

// One probe per layer fitted on `fit` (all positions), then each layer's predictions on
// `evaluate`: {layers, B, N}, float64.
torch::Tensor layer_probe_predictions(InContextTransformer& model, const PointSequence& fit, const PointSequence& evaluate);

}  // namespace descent::icl
