#include "descent/models/learning_rate_groups.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "descent/core/error.hpp"
#include "descent/models/models.hpp"

namespace descent::models {
namespace {

double multiplier_of(const Model& model, const std::string& name, optim::StepScaling scaling) {
  const auto found = model.learning_rate_multipliers.find(name);
  if (found == model.learning_rate_multipliers.end()) return 1.0;
  return scaling == optim::StepScaling::invariant ? found->second.invariant : found->second.linear;
}

bool has_layer_rates(const Model& model) {
  return std::any_of(model.learning_rate_multipliers.begin(), model.learning_rate_multipliers.end(),
                     [](const auto& entry) { return entry.second.linear != 1.0 || entry.second.invariant != 1.0; });
}

}  // namespace

std::vector<optim::ParamGroup> learning_rate_groups(const Model& model, const std::string& optimizer, const ParamValues& hyper) {
  const optim::OptimizerDescription& description = optim::describe(optimizer);
  if (has_layer_rates(model) && description.step_scaling == optim::StepScaling::global_norm) {
    throw ConfigError(fmt::format("model.parameterization 'mup' sets per-layer learning rates for SGD-like and Adam-like steps; "
                                  "optimizer '{}' normalizes its step by a global norm, for which mup defines none",
                                  optimizer));
  }
  const double lr = optim::resolve_hyperparameters(optimizer, hyper).at("lr");
  std::vector<double> multipliers = {1.0};  // the optimizer's own rate first, even when empty
  std::vector<optim::ParamGroup> groups(1);
  for (const auto& item : model.named_parameters()) {
    const double multiplier = multiplier_of(model, item.key(), description.step_scaling);
    auto at = std::find(multipliers.begin(), multipliers.end(), multiplier);
    if (at == multipliers.end()) {
      multipliers.push_back(multiplier);
      groups.push_back({{}, {}, {{"lr", lr * multiplier}}});
      at = multipliers.end() - 1;
    }
    auto& group = groups[static_cast<std::size_t>(at - multipliers.begin())];
    group.params.push_back(item.value());
    group.names.push_back(item.key());
  }
  if (groups.front().params.empty()) groups.erase(groups.begin());
  return groups;
}

}  // namespace descent::models
