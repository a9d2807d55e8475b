#include "descent/models/models.hpp"

#include "descent/models/torchscript.hpp"
#include "descent/models/transformer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "descent/core/error.hpp"

namespace descent::models {

const torch::Tensor& LayerTrace::at(const std::string& name) const {
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) throw ConfigError(fmt::format("layer '{}': the model names {}", name, fmt::join(names, ", ")));
  return activations[static_cast<std::size_t>(found - names.begin())];
}

torch::Tensor activate(const torch::Tensor& x, const std::string& activation) {
  if (activation == "relu") return torch::relu(x);
  if (activation == "tanh") return torch::tanh(x);
  if (activation == "gelu") return torch::gelu(x);
  if (activation == "sigmoid") return torch::sigmoid(x);
  throw std::invalid_argument("unknown activation " + activation);
}

namespace {

std::int64_t product(const std::vector<std::int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

}  // namespace

Mlp::Mlp(std::int64_t inputs, const std::vector<std::int64_t>& hidden, std::int64_t outputs, std::string activation_name,
         bool batch_norm, std::int64_t ghost_batch)
    : activation(std::move(activation_name)) {
  std::int64_t width = inputs;
  for (std::size_t i = 0; i <= hidden.size(); ++i) {
    const std::int64_t next = i < hidden.size() ? hidden[i] : outputs;
    layers.push_back(register_module(fmt::format("fc{}", i + 1), torch::nn::Linear(width, next)));
    if (batch_norm && i < hidden.size()) {
      norms.push_back(register_module(fmt::format("bn{}", i + 1), GhostBatchNorm(next, ghost_batch)));
    }
    width = next;
  }
}

torch::Tensor Mlp::forward(torch::Tensor x) { return run(std::move(x), nullptr); }

LayerTrace Mlp::trace(torch::Tensor x) {
  LayerTrace trace;
  trace.output = run(std::move(x), &trace);
  return trace;
}

torch::Tensor Mlp::run(torch::Tensor x, LayerTrace* trace) {
  x = x.flatten(1);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    x = layers[i]->forward(x);
    if (i + 1 < layers.size()) {
      if (!norms.empty()) x = norms[i]->forward(x);
      x = activate(x);
      if (trace) trace->record(fmt::format("hidden{}", i + 1), x);
    }
  }
  return x;
}

torch::Tensor Mlp::activate(const torch::Tensor& x) const { return models::activate(x, activation); }

Cnn::Cnn(const std::vector<std::int64_t>& image_shape, std::int64_t outputs) {
  const std::int64_t channels = image_shape.at(0);
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 16, 5)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 5)));
  // Each stage: a valid 5x5 convolution (-4) then a 2x2 pool (/2).
  const std::int64_t height = ((image_shape.at(1) - 4) / 2 - 4) / 2;
  const std::int64_t width = ((image_shape.at(2) - 4) / 2 - 4) / 2;
  fc = register_module("fc", torch::nn::Linear(32 * height * width, outputs));
}

torch::Tensor Cnn::forward(torch::Tensor x) { return run(std::move(x), nullptr); }

LayerTrace Cnn::trace(torch::Tensor x) {
  LayerTrace trace;
  trace.output = run(std::move(x), &trace);
  return trace;
}

torch::Tensor Cnn::run(torch::Tensor x, LayerTrace* trace) {
  torch::nn::Conv2d stages[] = {conv1, conv2};
  for (std::size_t k = 0; k < 2; ++k) {
    x = torch::relu(stages[k]->forward(x));
    if (trace) trace->record(fmt::format("conv{}", k + 1), x);
    x = torch::max_pool2d(x, 2);
    if (trace) trace->record(fmt::format("pool{}", k + 1), x);
  }
  return fc->forward(x.flatten(1));
}

std::shared_ptr<Model> make_model(const ModelOptions& config, const std::vector<std::int64_t>& sample_shape,
                                  std::int64_t outputs) {
  if (config.kind == "cnn") return std::make_shared<Cnn>(sample_shape, outputs);
  if (config.kind == "torchscript") return std::make_shared<TorchScript>(config.path, sample_shape, outputs);
  if (config.kind == "transformer") {
    return std::make_shared<CharTransformer>(
        TransformerOptions{outputs, sample_shape.at(0), config.width, config.heads, config.layers, config.qk_layernorm});
  }
  if (config.kind == "linear") return std::make_shared<Mlp>(product(sample_shape), std::vector<std::int64_t>{}, outputs, "relu");
  return std::make_shared<Mlp>(product(sample_shape), config.hidden, outputs, config.activation, config.batch_norm,
                               config.ghost_batch);
}

}  // namespace descent::models
