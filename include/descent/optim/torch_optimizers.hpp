// descent's fused optimizers over LibTorch parameters, used like torch::optim: build from a
// module's named_parameters() (or tensor lists in parameter groups), then zero_grad(), backward,
// step(). State is saved and loaded keyed by parameter name, so a resumed run continues bit for bit.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"
#include "descent/optim/rule.hpp"

namespace descent::optim {

// What the training loop needs of an optimizer.
class TrainingOptimizer {
public:
  virtual ~TrainingOptimizer() = default;
  virtual void zero_grad() = 0;
  // `loss` is the loss at the current parameters (needed by loss-normalized GD only).
  virtual void step(std::optional<double> loss = std::nullopt) = 0;
  // Multiplies every group's own learning rate by `factor` from the next step on (schedules).
  virtual void set_learning_rate_factor(double factor) = 0;
  // Multiplies hyperparameter `name` (weight_decay, beta1, ...) of every group that has it by
  // `factor` from the next step on; per-element and scalar state carry over.
  virtual void set_hyperparameter_factor(const std::string& name, double factor) = 0;
  // State keyed by parameter name, for checkpoints.
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
};

struct ParamGroup {
  std::vector<torch::Tensor> params;
  std::vector<std::string> names;  // one per parameter; empty: "groupG.I"
  ParamValues overrides;           // hyperparameters that differ from the optimizer's defaults
};

class Optimizer final : public TrainingOptimizer {
public:
  // `defaults` may omit keys (the catalog's defaults fill them); each group's overrides are
  // validated against the optimizer's hyperparameters. Throws ConfigError naming a bad key.
  Optimizer(const std::string& name, const ParamValues& defaults, std::vector<ParamGroup> groups,
            FusedOptions options = {});
  Optimizer(const std::string& name, const ParamValues& defaults,
            const torch::OrderedDict<std::string, torch::Tensor>& named_parameters, FusedOptions options = {});
  ~Optimizer() override;

  // Zeroes the gradients in place (no reallocation: backward then writes into the same memory).
  void zero_grad() override;
  void step(std::optional<double> loss = std::nullopt) override;
  void set_learning_rate_factor(double factor) override;
  void set_hyperparameter_factor(const std::string& name, double factor) override;

  std::int64_t steps_taken() const { return step_; }
  // The value hyperparameter `name` has in `group` now (after any factor).
  double hyperparameter(std::size_t group, const std::string& name) const;
  double learning_rate(std::size_t group) const;
  // Per-element state slot `slot` (Adam: 0 = m, 1 = v) of every parameter, flattened and
  // concatenated in group and parameter order, as float64: what preconditioned probes read.
  torch::Tensor flat_state(int slot) const;

  // State keyed by parameter name: "<name>/<slot>" tensors, per-group scalars, the step count.
  void save(torch::serialize::OutputArchive& archive) const override;
  // Throws Error naming the missing or mismatched parameter.
  void load(torch::serialize::InputArchive& archive) override;

private:
  struct Group;
  std::string name_;
  std::vector<std::unique_ptr<Group>> groups_;
  FusedOptions options_;
  std::int64_t step_ = 0;
  double factor_ = 1.0;
};

// Builds optimizer `name` for the training loop (the study runner's entry point).
std::unique_ptr<TrainingOptimizer> make_optimizer(const std::string& name, const ParamValues& hyper,
                                                  const torch::OrderedDict<std::string, torch::Tensor>& named_parameters,
                                                  FusedOptions options = {});

}  // namespace descent::optim
