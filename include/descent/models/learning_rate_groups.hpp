// A model's parameters grouped by learning rate, for parameterizations with per-layer rates (mup).
#pragma once

#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"
#include "descent/optim/torch_optimizers.hpp"

namespace descent::models {

struct Model;


// One group per distinct learning-rate multiplier of `model` under the step scaling of optimizer
// `optimizer` (mup: MuSGD's rates for SGD-like steps, MuAdam's for Adam-like ones), each group's
// "lr" the resolved rate of `hyper` times its multiplier, the group at the optimizer's own rate
// first; parameters keep their names, so checkpoints key by name as without groups. Throws
// ConfigError when the model has per-layer rates and the optimizer's step is normalized by a
// global norm (normalized GD, Lion-K, AdaGrad-Norm, LAMB), where mup defines none.
std::vector<optim::ParamGroup> learning_rate_groups(const models::Model& model, const std::string& optimizer, const ParamValues& hyper);

}  // namespace descent::models
