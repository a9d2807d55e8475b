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
#include "descent/optim/description.hpp"

namespace descent::optim {

struct ParamGroup {
  std::vector<torch::Tensor> params;
  std::vector<std::string> names;  // one per parameter; empty: "groupG.I"
  ParamValues overrides;           // hyperparameters that differ from the optimizer's defaults
};

class Optimizer {
public:
  // `defaults` may omit keys (the catalog's defaults fill them); each group's overrides are
  // validated against the optimizer's hyperparameters. Throws ConfigError naming a bad key.
  Optimizer(const std::string& name, const ParamValues& defaults, std::vector<ParamGroup> groups,
            FusedOptions options = {});
  Optimizer(const std::string& name, const ParamValues& defaults,
            const torch::OrderedDict<std::string, torch::Tensor>& named_parameters, FusedOptions options = {});
  ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Zeroes the gradients in place (no reallocation: backward then writes into the same memory).
  void zero_grad();
  // `loss` is the loss at the current parameters (needed by loss-normalized GD only).
  void step(std::optional<double> loss = std::nullopt);
  // Multiplies every group's own learning rate by `factor` from the next step on (schedules).
  void set_learning_rate_factor(double factor);
  // Multiplies hyperparameter `name` (weight_decay, beta1, ...) of every group that has it by
  // `factor` from the next step on. The rule takes the new value in place: state carries over.
  void set_hyperparameter_factor(const std::string& name, double factor);

  const OptimizerDescription& description() const { return *description_; }
  std::int64_t steps_taken() const { return step_; }
  // The values of `group` now (after any factor), and one of them.
  const ParamValues& hyperparameters(std::size_t group) const;
  double hyperparameter(std::size_t group, const std::string& name) const;
  double learning_rate(std::size_t group) const;
  // The state values named `slot` (Adam: "m", "v"; see Rule::slot_names) of every parameter,
  // flattened and concatenated in group and parameter order, as float64. Throws Error naming the
  // optimizer's slots when it has no such slot.
  torch::Tensor flat_state(const std::string& slot) const;
  // The diagonal of the preconditioner the description declares (Adam's family), in the same
  // order as flat_state, each group with its own values; nullopt when it declares none or no
  // step was taken.
  std::optional<torch::Tensor> preconditioner() const;

  // Sets `group`'s hyperparameters to these values from the next step on, as torch's LR schedulers
  // set param_groups[g]["lr"]: absolute values, not factors. The rule takes them in place; state
  // carries over. Throws ConfigError naming an unknown key or a value out of range.
  void set_hyperparameters(std::size_t group, const ParamValues& values);
  std::size_t groups() const { return groups_.size(); }

  // The live state of parameter `index` of `group`: (slot name, tensor shaped like the parameter)
  // in slot order. The tensors are the optimizer's own memory: writing into them sets the state.
  std::vector<std::pair<std::string, torch::Tensor>> parameter_state(std::size_t group, std::size_t index) const;
  // Per-group scalar state (AdaGrad-Norm's b squared; empty for most rules), and setting it back.
  std::vector<double> group_scalars(std::size_t group) const;
  void load_group_scalars(std::size_t group, const std::vector<double>& values);
  void set_steps_taken(std::int64_t steps);

  // State keyed by parameter name: "<name>/<slot name>" tensors, per-group scalars, the step count.
  void save(torch::serialize::OutputArchive& archive) const;
  // Throws Error naming the missing or mismatched parameter.
  void load(torch::serialize::InputArchive& archive);

private:
  struct Group;
  const OptimizerDescription* description_;
  std::vector<std::unique_ptr<Group>> groups_;
  FusedOptions options_;
  std::int64_t step_ = 0;
  double factor_ = 1.0;
};

}  // namespace descent::optim
