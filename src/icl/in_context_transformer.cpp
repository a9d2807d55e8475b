#include "descent/icl/in_context_transformer.hpp"

#include <fmt/format.h>

namespace descent::icl {

torch::Tensor interleave(const PointSequence& sequence) {
  const torch::Tensor x = sequence.x.to(torch::kFloat32);
  const torch::Tensor y_wide = torch::cat({sequence.y.to(torch::kFloat32).unsqueeze(2), torch::zeros_like(x.narrow(2, 0, x.size(2) - 1))}, 2);
  return torch::stack({x, y_wide}, 2).reshape({x.size(0), 2 * x.size(1), x.size(2)});
}

InContextTransformer::InContextTransformer(const InContextTransformerOptions& transformer, std::uint64_t seed) : options(transformer) {
  models::TransformerOptions block_options;
  block_options.context = 2 * options.points;
  block_options.width = options.width;
  block_options.heads = options.heads;
  block_options.layers = options.layers;
  read_in = register_module("read_in", torch::nn::Linear(options.dimension, options.width));
  positions = register_module("positions", torch::nn::Embedding(2 * options.points, options.width));
  for (std::int64_t l = 0; l < options.layers; ++l) {
    blocks.push_back(register_module(fmt::format("block{}", l), std::make_shared<models::TransformerBlock>(block_options)));
  }
  final_norm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.width})));
  read_out = register_module("read_out", torch::nn::Linear(options.width, 1));

  torch::Generator generator = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& parameter = item.value();
    const bool norm_weight = name.find("norm") != std::string::npos && name.ends_with("weight");
    if (norm_weight) parameter.fill_(1.0);
    else if (name.ends_with("bias")) parameter.zero_();
    else parameter.copy_(0.02 * torch::randn(parameter.sizes(), generator, torch::kFloat32));
  }
}

std::vector<torch::Tensor> InContextTransformer::run(const PointSequence& sequence, bool keep_every_layer) {
  const torch::Tensor tokens = interleave(sequence);
  torch::Tensor h = read_in->forward(tokens) + positions->forward(torch::arange(tokens.size(1), torch::kLong));
  std::vector<torch::Tensor> states;
  for (std::size_t l = 0; l < blocks.size(); ++l) {
    h = blocks[l]->forward(h);
    const bool last = l + 1 == blocks.size();
    if (last) h = final_norm->forward(h);
    if (keep_every_layer || last) states.push_back(h.slice(1, 0, h.size(1), 2));  // the x positions
  }
  return states;
}

torch::Tensor InContextTransformer::forward(const PointSequence& sequence) {
  return read_out->forward(run(sequence, false).back()).squeeze(2);
}

std::vector<torch::Tensor> InContextTransformer::hidden_states(const PointSequence& sequence) { return run(sequence, true); }

torch::Tensor LinearProbe::apply(const torch::Tensor& hidden) const { return torch::matmul(hidden.to(torch::kFloat64), weight) + bias; }

LinearProbe fit_linear_probe(const torch::Tensor& features, const torch::Tensor& targets) {
  const torch::Tensor rows = features.reshape({-1, features.size(-1)}).to(torch::kFloat64);
  const torch::Tensor design = torch::cat({rows, torch::ones({rows.size(0), 1}, rows.options())}, 1);
  const torch::Tensor solution = std::get<0>(torch::linalg::lstsq(design, targets.reshape({-1, 1}).to(torch::kFloat64), c10::nullopt, "gelsd"));
  return {solution.squeeze(1).narrow(0, 0, rows.size(1)).contiguous(), solution[rows.size(1)][0].item<double>()};
}

torch::Tensor layer_probe_predictions(InContextTransformer& model, const PointSequence& fit, const PointSequence& evaluate) {
  torch::NoGradGuard no_grad;
  const auto fit_states = model.hidden_states(fit);
  const auto evaluate_states = model.hidden_states(evaluate);
  std::vector<torch::Tensor> predictions;
  for (std::size_t l = 0; l < fit_states.size(); ++l) {
    predictions.push_back(fit_linear_probe(fit_states[l], fit.y).apply(evaluate_states[l]));
  }
  return torch::stack(predictions);
}

}  // namespace descent::icl
