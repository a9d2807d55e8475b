// A type-erased optimizer rule over plain buffers: the one virtual boundary between configs
// (names and values) and the compile-time fused chains. Built by name from the catalog.
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
  // Per-element state values per parameter (m, v, ...), and what each starts from.
  virtual int slots() const = 0;
  virtual T initial_value(int slot) const = 0;
  // One step over a group's buffers: p += update(g).
  virtual void step(std::span<const ParamBuffer<T>> buffers, const StepContext& context, const FusedOptions& options) = 0;
  // Per-group scalar state (AdaGrad-Norm's b^2), for checkpoints.
  virtual std::vector<double> scalar_state() const = 0;
  virtual void load_scalar_state(const std::vector<double>& values) = 0;
};

// Validates `given` against the optimizer's catalog entry and fills in the defaults. Throws
// ConfigError naming the optimizer and the key for an unknown name, unknown key or bad value.
ParamValues resolve_hyperparameters(const std::string& name, const ParamValues& given);

// Builds optimizer `name` (its resolved hyperparameters, less "lr": the rate comes with each step).
template <class T>
std::unique_ptr<Rule<T>> make_rule(const std::string& name, const ParamValues& resolved);

extern template std::unique_ptr<Rule<float>> make_rule<float>(const std::string&, const ParamValues&);
extern template std::unique_ptr<Rule<double>> make_rule<double>(const std::string&, const ParamValues&);

}  // namespace descent::optim
