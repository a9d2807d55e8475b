// One description per optimizer: everything descent knows about an optimizer, in one value that
// the optimizer's own file registers (src/optim/algorithms/NAME.cpp). The catalog and `descent
// list`, config validation, the torch and buffer optimizers, the sharpness probe, schedule
// refinement and batch-size scaling all read descriptions; no other code lists optimizer names.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "descent/core/param_spec.hpp"
#include "descent/optim/rule.hpp"

namespace descent::optim {

// A diagonal preconditioner of the form Adam's family has, read from one state slot v:
//   P = outer * (sqrt(v / inner) + eps)
// so that the update is lr * P^{-1} * (first moment). Cohen et al., "Adaptive Gradient Methods at
// the Edge of Stability" (2022), define the preconditioned sharpness lambda_max(P^{-1} H) with it.
struct DiagonalPreconditioner {
  std::string slot;  // the state slot holding v (Adam: "v"; with AMSGrad: "v_max")
  double outer = 1.0;
  double inner = 1.0;
  double eps = 0.0;
};

// A threshold on a curvature measure at learning rate lr, given the resolved hyperparameters;
// nullopt where the optimizer has none.
using Threshold = std::function<std::optional<double>(const ParamValues&, double lr)>;

struct ValueProblem {
  std::string key;
  std::string message;
};

// How the entries of one step scale with the gradient's: muP's per-layer learning rates differ
// between SGD-like steps (linear) and Adam-like ones (invariant: Adam's family, sign methods), as
// microsoft/mup's MuSGD and MuAdam; a step normalized by a global norm is neither.
enum class StepScaling { linear, invariant, global_norm };

template <class T>
using RuleBuilder = std::unique_ptr<Rule<T>> (*)(const ParamValues& resolved);

struct OptimizerDescription {
  std::string name;
  std::string summary;  // one line for `descent list optimizers`
  std::string paper;    // the reference: authors, title, venue
  std::vector<ParamSpec> params;  // "lr" first; the registry appends "clip_norm"
  // Per-coordinate step sizes from gradient statistics (Adam, AdaGrad, RMSProp...): schedule
  // refinement then uses the l1 gradient norm, and batch lr_scaling "auto" the square-root rule.
  bool adaptive = false;
  StepScaling step_scaling = StepScaling::linear;
  // A rule over several values that ranges cannot express: the key to blame and why (nullopt
  // when the values are fine).
  std::function<std::optional<ValueProblem>(const ParamValues&)> check;
  // The largest stable top Hessian eigenvalue at rate lr (GD: 2/lr; heavy ball: (2 + 2 beta)/lr).
  Threshold sharpness_threshold;
  // The bound on the Hessian trace of a linearly stable minimum (SGD: 2/lr, Wu & Su 2023).
  Threshold trace_threshold;
  // Adam-like optimizers: the preconditioner after `steps` steps, and the threshold on
  // lambda_max(P^{-1} H) ((2 + 2 beta1) / ((1 - beta1) lr) for Adam).
  std::function<std::optional<DiagonalPreconditioner>(const ParamValues&, std::int64_t steps)> preconditioner;
  Threshold preconditioned_threshold;
  RuleBuilder<float> build_float = nullptr;  // set by Registration
  RuleBuilder<double> build_double = nullptr;

  // Validates `given` (unknown keys, ranges, check) and fills in the defaults. Throws ConfigError
  // naming the optimizer and the key.
  ParamValues resolve(const ParamValues& given) const;
  // The rule over resolved values (the rate comes with each step).
  template <class T>
  std::unique_ptr<Rule<T>> build(const ParamValues& resolved) const {
    if constexpr (std::is_same_v<T, float>) {
      return build_float(resolved);
    } else {
      return build_double(resolved);
    }
  }
};

// Adds a description to the catalog, with its rule's builders. Each optimizer's file holds one,
// at namespace scope:
//   const Registration registration{description(), build<float>, build<double>};
struct Registration {
  Registration(OptimizerDescription description, RuleBuilder<float> build_float, RuleBuilder<double> build_double);
};

// Every registered optimizer, sorted by name.
const std::vector<OptimizerDescription>& catalog();
// nullptr when no optimizer has that name.
const OptimizerDescription* find_optimizer(std::string_view name);
// Throws ConfigError naming the unknown optimizer and the nearest known name.
const OptimizerDescription& describe(std::string_view name);
std::vector<std::string> optimizer_names();

// Validates and resolves through the optimizer's description (ConfigError on a bad name or value).
ParamValues resolve_hyperparameters(const std::string& name, const ParamValues& given);

}  // namespace descent::optim
