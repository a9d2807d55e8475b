// A small decoder-only transformer for character-level language modelling (GPT-style, pre-layer-
// norm, learned positions, causal self-attention written out so that its logits can be probed),
// with the mitigations of Wortsman et al., "Small-scale proxies for large-scale Transformer
// training instabilities" (ICLR 2024): qk-layernorm (layer norm on queries and keys before their
// dot product) here, and the z-loss (1e-4 log^2 Z added to the loss) in the trainer.
// Input: token ids held as floats, {B, T}; output: next-token logits flattened to {B T, vocabulary}.
// Probes after each forward: the largest attention logit of each layer, and the mean log Z of the
// output logits (its drift is the "output logit divergence" the z-loss counters).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "descent/models/models.hpp"

namespace descent::models {

struct TransformerOptions {
  std::int64_t vocabulary = 0;
  std::int64_t context = 64;
  std::int64_t width = 64;
  std::int64_t heads = 4;
  std::int64_t layers = 2;
  bool qk_layernorm = false;
};

struct CausalSelfAttention : torch::nn::Module {
  CausalSelfAttention(const TransformerOptions& options);
  // x: {B, T, C}. Keeps the largest pre-softmax logit (over allowed positions) of this call.
  torch::Tensor forward(const torch::Tensor& x);

  std::int64_t heads, head_width;
  torch::nn::Linear qkv{nullptr}, projection{nullptr};
  torch::nn::LayerNorm query_norm{nullptr}, key_norm{nullptr};  // with qk_layernorm only
  torch::Tensor largest_logit;
};

struct TransformerBlock : torch::nn::Module {
  TransformerBlock(const TransformerOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  std::shared_ptr<CausalSelfAttention> attention;
  torch::nn::Linear expand{nullptr}, contract{nullptr};
};

struct CharTransformer : Model {
  explicit CharTransformer(const TransformerOptions& options);
  torch::Tensor forward(torch::Tensor x) override;
  // max_attention_logit/layerK, their maximum max_attention_logit, and output_log_z, from the last forward.
  std::map<std::string, double> probe_values() const override;

  TransformerOptions options;
  torch::nn::Embedding tokens{nullptr}, positions{nullptr};
  std::vector<std::shared_ptr<TransformerBlock>> blocks;
  torch::nn::LayerNorm final_norm{nullptr};
  torch::nn::Linear head{nullptr};
  torch::Tensor mean_log_z;
};

}  // namespace descent::models
