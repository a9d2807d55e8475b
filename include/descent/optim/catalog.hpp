// The names and hyperparameters of every optimizer descent offers, without LibTorch: config
// validation and `descent list optimizers` read this; optim/torch_optimizers.hpp builds them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "descent/core/param_spec.hpp"

namespace descent::optim {

struct OptimizerInfo {
  std::string name;
  std::string summary;
  std::vector<ParamSpec> params;  // "lr" is always first
};

const std::vector<OptimizerInfo>& catalog();
// nullptr when no optimizer has that name.
const OptimizerInfo* find_optimizer(std::string_view name);
std::vector<std::string> optimizer_names();

}  // namespace descent::optim
