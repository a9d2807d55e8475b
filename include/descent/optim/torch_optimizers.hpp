// Optimizers over LibTorch parameters, built by name from the catalog (optim/catalog.hpp).
// This type-erased interface is the one virtual boundary between configs and optimizers.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"

namespace descent::optim {

class TrainingOptimizer {
public:
  virtual ~TrainingOptimizer() = default;
  virtual void zero_grad() = 0;
  virtual void step() = 0;
  // Sets the learning rate of every parameter group (schedules call this before each step).
  virtual void set_learning_rate(double lr) = 0;
};

// Builds optimizer `name` with resolved hyperparameters `hyper` (every catalog key present).
// Throws ConfigError for an unknown name.
std::unique_ptr<TrainingOptimizer> make_optimizer(const std::string& name, const ParamValues& hyper,
                                                  std::vector<torch::Tensor> parameters);

}  // namespace descent::optim
