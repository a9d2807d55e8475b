#include "descent/models/transformer.hpp"

#include <fmt/format.h>

#include <cmath>

namespace descent::models {

CausalSelfAttention::CausalSelfAttention(const TransformerOptions& options)
    : heads(options.heads), head_width(options.width / options.heads) {
  qkv = register_module("qkv", torch::nn::Linear(options.width, 3 * options.width));
  projection = register_module("projection", torch::nn::Linear(options.width, options.width));
  if (options.qk_layernorm) {
    query_norm = register_module("query_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({head_width})));
    key_norm = register_module("key_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({head_width})));
  }
}

torch::Tensor CausalSelfAttention::forward(const torch::Tensor& x) {
  const std::int64_t b = x.size(0), t = x.size(1), c = x.size(2);
  const auto parts = qkv->forward(x).view({b, t, 3, heads, head_width}).permute({2, 0, 3, 1, 4});  // 3, B, h, T, d
  torch::Tensor q = parts[0], k = parts[1];
  const torch::Tensor v = parts[2];
  if (query_norm) q = query_norm->forward(q), k = key_norm->forward(k);
  torch::Tensor logits = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(head_width));
  const torch::Tensor allowed = torch::ones({t, t}, torch::kBool).tril();
  logits = logits.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  largest_logit = logits.detach().max();  // the diagonal is always allowed, so this is finite
  const torch::Tensor mixed = torch::matmul(torch::softmax(logits, -1), v);  // B, h, T, d
  return projection->forward(mixed.transpose(1, 2).contiguous().view({b, t, c}));
}

TransformerBlock::TransformerBlock(const TransformerOptions& options) {
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.width})));
  attention = register_module("attention", std::make_shared<CausalSelfAttention>(options));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.width})));
  expand = register_module("expand", torch::nn::Linear(options.width, 4 * options.width));
  contract = register_module("contract", torch::nn::Linear(4 * options.width, options.width));
}

torch::Tensor TransformerBlock::forward(const torch::Tensor& x) {
  const torch::Tensor h = x + attention->forward(norm1->forward(x));
  return h + contract->forward(torch::gelu(expand->forward(norm2->forward(h))));
}

CharTransformer::CharTransformer(const TransformerOptions& transformer) : options(transformer) {
  tokens = register_module("tokens", torch::nn::Embedding(options.vocabulary, options.width));
  positions = register_module("positions", torch::nn::Embedding(options.context, options.width));
  for (std::int64_t l = 0; l < options.layers; ++l) {
    blocks.push_back(register_module(fmt::format("block{}", l), std::make_shared<TransformerBlock>(options)));
  }
  final_norm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.width})));
  head = register_module("head", torch::nn::Linear(options.width, options.vocabulary));
}

torch::Tensor CharTransformer::forward(torch::Tensor x) {
  const torch::Tensor ids = x.to(torch::kLong);
  const std::int64_t t = ids.size(1);
  torch::Tensor h = tokens->forward(ids) + positions->forward(torch::arange(t, torch::kLong));
  for (const auto& block : blocks) h = block->forward(h);
  const torch::Tensor logits = head->forward(final_norm->forward(h)).reshape({-1, options.vocabulary});
  mean_log_z = torch::logsumexp(logits.detach(), 1).mean();
  return logits;
}

std::map<std::string, double> CharTransformer::probe_values() const {
  std::map<std::string, double> values;
  double overall = -INFINITY;
  for (std::size_t l = 0; l < blocks.size(); ++l) {
    const auto& largest = blocks[l]->attention->largest_logit;
    if (!largest.defined()) continue;
    const double value = largest.item<double>();
    values[fmt::format("max_attention_logit/layer{}", l)] = value;
    overall = std::max(overall, value);
  }
  if (std::isfinite(overall)) values["max_attention_logit"] = overall;
  if (mean_log_z.defined()) values["output_log_z"] = mean_log_z.item<double>();
  return values;
}

}  // namespace descent::models
