// The models a study can train, as LibTorch modules with named parameters (fc1.weight, conv1.bias).
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "descent/models/ghost_batch_norm.hpp"
#include "descent/models/options.hpp"

namespace descent::models {

torch::Tensor activate(const torch::Tensor& x, const std::string& activation);

// One forward pass with the model's named intermediate activations kept, in forward order, all in
// the autograd graph: saliency methods differentiate a score of `output` with respect to them.
struct LayerTrace {
  std::vector<std::string> names;
  std::vector<torch::Tensor> activations;
  torch::Tensor output;

  void record(std::string name, const torch::Tensor& activation) {
    names.push_back(std::move(name));
    activations.push_back(activation);
  }
  // The activation recorded under `name`; throws ConfigError listing the names there are.
  const torch::Tensor& at(const std::string& name) const;
};

struct Model : torch::nn::Module {
  // x: a batch of samples in their natural shape ({B, 1, 28, 28} images or {B, d} vectors).
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // forward(x) with the activations a model names (none, unless it overrides this).
  virtual LayerTrace trace(torch::Tensor x) {
    LayerTrace trace;
    trace.output = forward(std::move(x));
    return trace;
  }
  // Values the model measured during its last forward (the transformer's attention logits).
  virtual std::map<std::string, double> probe_values() const { return {}; }

  // Each parameter's learning-rate multipliers under the model's parameterization (mup's per-layer
  // rates); a parameter not listed takes the optimizer's rate.
  std::map<std::string, LearningRateMultipliers> learning_rate_multipliers;
};

// MLP: flatten, then fc1..fcN with the activation between; "linear" is the MLP with no hidden layer.
struct Mlp : Model {
  // batch_norm: (ghost) batch normalization between each hidden linear layer and its activation,
  // named bn1, bn2, ...; ghost_batch 0 normalizes over the whole batch.
  Mlp(std::int64_t inputs, const std::vector<std::int64_t>& hidden, std::int64_t outputs, std::string activation,
      bool batch_norm = false, std::int64_t ghost_batch = 0, const ParameterizationOptions& scaling = {});
  torch::Tensor forward(torch::Tensor x) override;
  // hidden1, hidden2, ...: each hidden layer after its activation.
  LayerTrace trace(torch::Tensor x) override;
  torch::Tensor activate(const torch::Tensor& x) const;

  std::vector<torch::nn::Linear> layers;
  std::vector<GhostBatchNorm> norms;  // empty without batch_norm
  std::string activation;
  std::vector<LayerScaling> scalings;  // one per layer

private:
  // The forward pass; records the activations only when asked (training's forward does not).
  torch::Tensor run(torch::Tensor x, LayerTrace* trace);
};

// The small CNN: conv 5x5 -> 16, max-pool 2, conv 5x5 -> 32, max-pool 2, linear -> outputs (ReLU).
struct Cnn : Model {
  // Under mup, the width multiplier is conv1's 16 channels over scaling.base_width (conv2's 32
  // over twice that).
  Cnn(const std::vector<std::int64_t>& image_shape, std::int64_t outputs, const ParameterizationOptions& scaling = {});
  torch::Tensor forward(torch::Tensor x) override;
  // conv1 and conv2 (after their ReLU, before pooling), pool1 and pool2: {B, C, H, W} each.
  LayerTrace trace(torch::Tensor x) override;

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc{nullptr};
  std::vector<LayerScaling> scalings;  // conv1, conv2, fc

private:
  torch::Tensor run(torch::Tensor x, LayerTrace* trace);  // as Mlp's
};

// Builds the configured model for samples of `sample_shape` and `outputs` outputs; LibTorch's
// default initialization drawn from the current torch seed.
std::shared_ptr<Model> make_model(const ModelOptions& config, const std::vector<std::int64_t>& sample_shape,
                                  std::int64_t outputs);

}  // namespace descent::models
