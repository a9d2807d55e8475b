#include "descent/models/models.hpp"

#include "descent/models/neural_ode_classifier.hpp"
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

// Applies `scaling`'s initialization to a layer's freshly drawn parameters and records its
// learning-rate multipliers under the parameters' names.
void scale_layer(Model& model, const std::string& layer, torch::nn::Module& module, const LayerScaling& scaling) {
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters(false)) {
    const std::string& name = item.key();
    torch::Tensor& parameter = item.value();
    const bool weight = name == "weight";
    if (scaling.unit_gaussian_init) {
      parameter.normal_(0.0, 1.0);
    } else {
      parameter.mul_(weight ? scaling.weight_init_factor : scaling.bias_init_factor);
    }
    model.learning_rate_multipliers[layer + "." + name] = weight ? scaling.weight_lr : scaling.bias_lr;
  }
}

LayerRole role_of(std::size_t layer, std::size_t layers) {
  if (layers == 1) return LayerRole::input_and_readout;
  if (layer == 0) return LayerRole::input;
  return layer + 1 == layers ? LayerRole::readout : LayerRole::hidden;
}

bool unscaled(const LayerScaling& scaling) { return scaling.weight_multiplier == 1.0 && scaling.bias_multiplier == 1.0; }

// weight_multiplier * (x W^T) + bias_multiplier * b in one addmm.
torch::Tensor scaled_linear(torch::nn::Linear& layer, const torch::Tensor& x, const LayerScaling& scaling) {
  if (unscaled(scaling)) return layer->forward(x);
  return torch::addmm(layer->bias, x, layer->weight.t(), scaling.bias_multiplier, scaling.weight_multiplier);
}

torch::Tensor scaled_conv(torch::nn::Conv2d& layer, const torch::Tensor& x, const LayerScaling& scaling) {
  if (unscaled(scaling)) return layer->forward(x);
  return torch::conv2d(x, layer->weight) * scaling.weight_multiplier + scaling.bias_multiplier * layer->bias.view({1, -1, 1, 1});
}

}  // namespace

Mlp::Mlp(std::int64_t inputs, const std::vector<std::int64_t>& hidden, std::int64_t outputs, std::string activation_name,
         bool batch_norm, std::int64_t ghost_batch, const ParameterizationOptions& scaling)
    : activation(std::move(activation_name)) {
  std::int64_t width = inputs;
  double width_m = 1.0;  // the input's width is fixed by the data
  for (std::size_t i = 0; i <= hidden.size(); ++i) {
    const bool readout = i == hidden.size();
    const std::int64_t next = readout ? outputs : hidden[i];
    const std::string name = fmt::format("fc{}", i + 1);
    layers.push_back(register_module(name, torch::nn::Linear(width, next)));
    const double next_m = readout ? 1.0 : width_multiplier(next, scaling);
    scalings.push_back(layer_scaling(scaling.kind, {role_of(i, hidden.size() + 1), width, width_m, next_m}, scaling.ntk_beta));
    scale_layer(*this, name, *layers.back(), scalings.back());
    if (batch_norm && !readout) {
      norms.push_back(register_module(fmt::format("bn{}", i + 1), GhostBatchNorm(next, ghost_batch)));
    }
    width = next;
    width_m = next_m;
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
    x = scaled_linear(layers[i], x, scalings[i]);
    if (i + 1 < layers.size()) {
      if (!norms.empty()) x = norms[i]->forward(x);
      x = activate(x);
      if (trace) trace->record(fmt::format("hidden{}", i + 1), x);
    }
  }
  return x;
}

torch::Tensor Mlp::activate(const torch::Tensor& x) const { return models::activate(x, activation); }

Cnn::Cnn(const std::vector<std::int64_t>& image_shape, std::int64_t outputs, const ParameterizationOptions& scaling) {
  const std::int64_t channels = image_shape.at(0);
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 16, 5)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 5)));
  // Each stage: a valid 5x5 convolution (-4) then a 2x2 pool (/2).
  const std::int64_t height = ((image_shape.at(1) - 4) / 2 - 4) / 2;
  const std::int64_t width = ((image_shape.at(2) - 4) / 2 - 4) / 2;
  fc = register_module("fc", torch::nn::Linear(32 * height * width, outputs));
  const double m = width_multiplier(16, scaling);
  const WeightedLayer layers[] = {{LayerRole::input, channels * 25, 1.0, m}, {LayerRole::hidden, 16 * 25, m, m},
                                  {LayerRole::readout, 32 * height * width, m, 1.0}};
  torch::nn::Module* modules[] = {conv1.get(), conv2.get(), fc.get()};
  const char* names[] = {"conv1", "conv2", "fc"};
  for (std::size_t k = 0; k < 3; ++k) {
    scalings.push_back(layer_scaling(scaling.kind, layers[k], scaling.ntk_beta));
    scale_layer(*this, names[k], *modules[k], scalings.back());
  }
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
    x = torch::relu(scaled_conv(stages[k], x, scalings[k]));
    if (trace) trace->record(fmt::format("conv{}", k + 1), x);
    x = torch::max_pool2d(x, 2);
    if (trace) trace->record(fmt::format("pool{}", k + 1), x);
  }
  return scaled_linear(fc, x.flatten(1), scalings[2]);
}

std::shared_ptr<Model> make_model(const ModelOptions& config, const std::vector<std::int64_t>& sample_shape,
                                  std::int64_t outputs) {
  if (config.kind == "cnn") return std::make_shared<Cnn>(sample_shape, outputs, config.scaling);
  if (config.kind == "torchscript") return std::make_shared<TorchScript>(config.path, sample_shape, outputs);
  if (config.kind == "transformer") {
    return std::make_shared<CharTransformer>(
        TransformerOptions{outputs, sample_shape.at(0), config.width, config.heads, config.layers, config.qk_layernorm});
  }
  if (config.kind == "neural_ode") {
    return std::make_shared<NeuralOdeClassifier>(product(sample_shape), config.augment, config.hidden, outputs, config.activation,
                                                 config.ode_solver, config.ode_steps);
  }
  if (config.kind == "linear") {
    return std::make_shared<Mlp>(product(sample_shape), std::vector<std::int64_t>{}, outputs, "relu", false, 0, config.scaling);
  }
  return std::make_shared<Mlp>(product(sample_shape), config.hidden, outputs, config.activation, config.batch_norm,
                               config.ghost_batch, config.scaling);
}

}  // namespace descent::models
