// Your own model: a module scripted in Python (torch.jit.script(model).save("net.pt")) and trained
// by descent with every optimizer, schedule and probe. Its parameters and buffers are registered
// under their dotted names with '.' written '_' (conv1.weight -> conv1_weight), so checkpoints,
// per-layer probes and optimizer state address them like descent's own models'.
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

#include "descent/models/models.hpp"

namespace descent::models {

struct TorchScript : Model {
  // Loads `path` and checks one forward pass over a zero batch of `sample_shape` gives {1, outputs}.
  // Throws DataError naming the file on anything else.
  TorchScript(const std::string& path, const std::vector<std::int64_t>& sample_shape, std::int64_t outputs);
  torch::Tensor forward(torch::Tensor x) override;
  void train(bool on = true) override;

  torch::jit::Module module;
};

}  // namespace descent::models
