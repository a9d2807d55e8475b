// EXAdam's description (the rule: include/descent/optim/algorithms/exadam.hpp).
#include "descent/optim/algorithms/exadam.hpp"

#include "adam_family.hpp"
#include "descent/optim/chain_rule.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(ExAdam<T>{}, resolved, [](auto& chain, const Hyper& h) {
    auto& exadam = transform<ScaleByExAdam<T>>(chain);
    exadam.beta1 = h["beta1"], exadam.beta2 = h["beta2"], exadam.eps = h["eps"], exadam.growing_step = h.flag("growing_step");
    transform<AddDecoupledDecay<T>>(chain).weight_decay = h["weight_decay"];
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "exadam";
  d.summary = "EXAdam (Adly, 2024): Adam with cross-moment debiasing and gradient acceleration";
  d.paper = "Adly, EXAdam: The Power of Adaptive Cross-Moments, arXiv 2412.20302";
  d.params = adam_family::params(1e-3, 0.0, "decoupled weight decay");
  d.params.push_back(params::flag("growing_step", "the first version's step lr * ln(sqrt(2) * sqrt(t + 1))"));
  d.adaptive = true;
  d.step_scaling = StepScaling::invariant;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
