// AdaBelief's description (the rule and where it departs from the official defaults:
// include/descent/optim/algorithms/adabelief.hpp).
#include "descent/optim/algorithms/adabelief.hpp"

#include "adam_family.hpp"
#include "descent/optim/chain_rule.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  if (Hyper(resolved).flag("weight_decouple")) {
    return chain_rule(AdaBelief<T>{}, resolved, [](auto& chain, const Hyper& h) {
      adam_family::bind_moments(transform<ScaleByAdaBelief<T>>(chain), h);
      transform<AddDecoupledDecay<T>>(chain).weight_decay = h["weight_decay"];
    });
  }
  return chain_rule(AdaBeliefL2<T>{}, resolved, [](auto& chain, const Hyper& h) {
    transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"];
    adam_family::bind_moments(transform<ScaleByAdaBelief<T>>(chain), h);
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "adabelief";
  d.summary = "AdaBelief (Zhuang et al., 2020): Adam with the variance of g around m, s, as the second moment";
  d.paper = "Zhuang et al., AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients, NeurIPS 2020";
  d.params = {params::learning_rate(1e-3), params::beta("beta1", 0.9, "decay of the first moment"),
              params::beta("beta2", 0.999, "decay of the belief s = E[(g - m)^2]"),
              {"eps", ParamKind::real, 1e-16, 0.0, 1.0, true, "added to s each step and to the denominator", {}},
              params::weight_decay(0.0, "weight decay (decoupled unless weight_decouple = false)")};
  ParamSpec decouple = params::flag("weight_decouple", "decoupled weight decay (p *= 1 - lr * wd), as the official default");
  decouple.default_value = 1.0;
  d.params.push_back(decouple);
  d.adaptive = true;
  d.step_scaling = StepScaling::invariant;
  // The update is lr P^{-1} m with P = (1 - b1^t)(sqrt(s / (1 - b2^t)) + eps): Adam's form on s.
  d.preconditioner = [](const ParamValues& h, std::int64_t steps) { return adam_family::preconditioner(h, steps, "s"); };
  d.preconditioned_threshold = adam_family::threshold;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
