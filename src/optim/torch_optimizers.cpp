// The catalog's optimizers, backed by torch::optim until descent's fused kernels replace them.
#include "descent/optim/torch_optimizers.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"
#include "descent/optim/catalog.hpp"

namespace descent::optim {
namespace {

class TorchOptimizer final : public TrainingOptimizer {
public:
  explicit TorchOptimizer(std::unique_ptr<torch::optim::Optimizer> optimizer) : optimizer_(std::move(optimizer)) {}
  void zero_grad() override { optimizer_->zero_grad(); }
  void step() override { optimizer_->step(); }
  void set_learning_rate(double lr) override {
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
  }

private:
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

std::unique_ptr<torch::optim::Optimizer> make_torch(const std::string& name, const ParamValues& h,
                                                    std::vector<torch::Tensor> params) {
  const auto flag = [&](const char* key) { return h.at(key) != 0.0; };
  if (name == "sgd") {
    return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(h.at("lr"))
                                                           .momentum(h.at("momentum"))
                                                           .dampening(h.at("dampening"))
                                                           .weight_decay(h.at("weight_decay"))
                                                           .nesterov(flag("nesterov")));
  }
  if (name == "adam") {
    return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(h.at("lr"))
                                                            .betas({h.at("beta1"), h.at("beta2")})
                                                            .eps(h.at("eps"))
                                                            .weight_decay(h.at("weight_decay"))
                                                            .amsgrad(flag("amsgrad")));
  }
  if (name == "adamw") {
    return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(h.at("lr"))
                                                             .betas({h.at("beta1"), h.at("beta2")})
                                                             .eps(h.at("eps"))
                                                             .weight_decay(h.at("weight_decay"))
                                                             .amsgrad(flag("amsgrad")));
  }
  if (name == "adagrad") {
    return std::make_unique<torch::optim::Adagrad>(params, torch::optim::AdagradOptions(h.at("lr"))
                                                               .lr_decay(h.at("lr_decay"))
                                                               .weight_decay(h.at("weight_decay"))
                                                               .initial_accumulator_value(h.at("initial_accumulator_value"))
                                                               .eps(h.at("eps")));
  }
  if (name == "rmsprop") {
    return std::make_unique<torch::optim::RMSprop>(params, torch::optim::RMSpropOptions(h.at("lr"))
                                                               .alpha(h.at("alpha"))
                                                               .eps(h.at("eps"))
                                                               .weight_decay(h.at("weight_decay"))
                                                               .momentum(h.at("momentum"))
                                                               .centered(flag("centered")));
  }
  throw ConfigError(fmt::format("unknown optimizer '{}'", name));
}

}  // namespace

std::unique_ptr<TrainingOptimizer> make_optimizer(const std::string& name, const ParamValues& hyper,
                                                  std::vector<torch::Tensor> parameters) {
  const OptimizerInfo* info = find_optimizer(name);
  if (!info) throw ConfigError(fmt::format("unknown optimizer '{}'", name));
  // Fill defaults for keys the caller left out, so library users may pass only what they change.
  ParamValues resolved = hyper;
  for (const auto& spec : info->params) resolved.try_emplace(spec.name, spec.default_value);
  return std::make_unique<TorchOptimizer>(make_torch(name, resolved, std::move(parameters)));
}

}  // namespace descent::optim
