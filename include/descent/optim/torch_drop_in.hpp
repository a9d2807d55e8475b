// descent's fused optimizers as torch::optim::Optimizer subclasses, for code written against
// LibTorch's optimizers: parameter groups (torch::optim::OptimizerParamGroup) with their own
// options, step(closure), zero_grad(), torch::save/torch::load, and LibTorch's LR schedulers
// (torch::optim::StepLR and any LRScheduler), which set each group's lr through its options.
//
//   torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
// becomes
//   descent::optim::drop_in::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
//
// Adam, AdamW, SGD, RMSprop and Adagrad take torch's own option types and follow torch's rules;
// drop_in::Fused runs any optimizer of descent's registry (diffgrad, exadam, lion, ...) with
// RegistryOptions, its hyperparameters by the registry's names. The state lives in descent's fused
// core (core()), not in torch's state() map.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"
#include "descent/optim/torch_optimizers.hpp"

namespace descent::optim::drop_in {

// Options of any registry optimizer: hyperparameters by name, as study files spell them
// ("lr", "beta1", "weight_decouple"...); keys left out take the registry's defaults.
class RegistryOptions : public torch::optim::OptimizerCloneableOptions<RegistryOptions> {
public:
  RegistryOptions() = default;
  explicit RegistryOptions(ParamValues values) : values(std::move(values)) {}
  RegistryOptions& set(const std::string& name, double value) {
    values[name] = value;
    return *this;
  }
  double get_lr() const override;
  void set_lr(const double lr) override { values["lr"] = lr; }
  void serialize(torch::serialize::OutputArchive& archive) const override;
  void serialize(torch::serialize::InputArchive& archive) override;

  ParamValues values;
};

// A registry optimizer behind torch::optim::Optimizer. Each step reads every group's options (so a
// scheduler's changes take effect), then runs the fused step in place on the parameters.
class Fused : public torch::optim::Optimizer {
public:
  Fused(std::string name, std::vector<torch::optim::OptimizerParamGroup> groups, const RegistryOptions& defaults = {},
        int threads = 1);
  Fused(std::string name, std::vector<torch::Tensor> parameters, const RegistryOptions& defaults = {}, int threads = 1);

  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  // descent's optimizer underneath: its state (flat_state, parameter_state), steps taken.
  const optim::Optimizer& core();

protected:
  Fused(std::string name, std::vector<torch::optim::OptimizerParamGroup> groups,
        std::unique_ptr<torch::optim::OptimizerOptions> defaults, int threads);

private:
  void build_core_if_groups_changed();

  std::string name_;
  int threads_;
  std::unique_ptr<optim::Optimizer> core_;
  std::vector<std::size_t> layout_;  // parameters per group when the core was built
};

// The drop-ins that take torch's own options: what torch::optim::X computes, fused.
#define DESCENT_DROP_IN(Class, Options)                                                                            \
  class Class : public Fused {                                                                                     \
  public:                                                                                                          \
    Class(std::vector<torch::optim::OptimizerParamGroup> groups, torch::optim::Options defaults = {}, int threads = 1); \
    Class(std::vector<torch::Tensor> parameters, torch::optim::Options defaults = {}, int threads = 1);           \
  };
DESCENT_DROP_IN(Adam, AdamOptions)
DESCENT_DROP_IN(AdamW, AdamWOptions)
DESCENT_DROP_IN(RMSprop, RMSpropOptions)
DESCENT_DROP_IN(Adagrad, AdagradOptions)
#undef DESCENT_DROP_IN

// SGDOptions has no default learning rate, as in torch.
class SGD : public Fused {
public:
  SGD(std::vector<torch::optim::OptimizerParamGroup> groups, torch::optim::SGDOptions defaults, int threads = 1);
  SGD(std::vector<torch::Tensor> parameters, torch::optim::SGDOptions defaults, int threads = 1);
};

}  // namespace descent::optim::drop_in
