// A type-erased optimizer rule over plain buffers: the one virtual boundary between configs
// (names and values) and the compile-time fused chains. Built from the optimizer's description
// (optim/description.hpp); optim/chain_rule.hpp wraps a chain as a Rule.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"
#include "descent/optim/fused.hpp"

namespace descent::optim {

template <class T>
class Rule {
public:
  virtual ~Rule() = default;
  // Per-element state values per parameter (m, v, ...), their names, and what each starts from.
  virtual int slots() const = 0;
  virtual std::vector<std::string> slot_names() const = 0;
  virtual T initial_value(int slot) const = 0;
  // New hyperparameter values (resolved, every key present) from the next step on. Per-element
  // and scalar state carry over: a schedule on beta1 or weight_decay only rewrites numbers.
  virtual void bind(const ParamValues& values) = 0;
  // One step over a group's buffers: p += update(g).
  virtual void step(std::span<const ParamBuffer<T>> buffers, const StepContext& context, const FusedOptions& options) = 0;
  // Per-group scalar state (AdaGrad-Norm's b^2), for checkpoints.
  virtual std::vector<double> scalar_state() const = 0;
  virtual void load_scalar_state(const std::vector<double>& values) = 0;
};

}  // namespace descent::optim
