// AdamW's description (the rule: include/descent/optim/algorithms/adamw.hpp).
#include "descent/optim/algorithms/adamw.hpp"

#include "adam_family.hpp"
#include "descent/optim/chain_rule.hpp"

namespace descent::optim {
namespace {

template <class T, bool AmsGrad>
std::unique_ptr<Rule<T>> adamw_rule(const ParamValues& resolved) {
  return chain_rule(AdamW<T, AmsGrad>{}, resolved, [](auto& chain, const Hyper& h) {
    adam_family::bind_moments(transform<ScaleByAdam<T, AmsGrad>>(chain), h);
    transform<AddDecoupledDecay<T>>(chain).weight_decay = h["weight_decay"];
  });
}

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return Hyper(resolved).flag("amsgrad") ? adamw_rule<T, true>(resolved) : adamw_rule<T, false>(resolved);
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "adamw";
  d.summary = "AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay (as torch.optim.AdamW)";
  d.paper = "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019";
  d.params = adam_family::params(1e-3, 1e-2, "decoupled weight decay");
  d.params.push_back(adam_family::amsgrad_flag());
  d.adaptive = true;
  d.step_scaling = StepScaling::invariant;
  d.preconditioner = adam_family::preconditioner_on_v_or_v_max;
  d.preconditioned_threshold = adam_family::threshold;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
