// Adam's description (the rule: include/descent/optim/algorithms/adam.hpp).
#include "descent/optim/algorithms/adam.hpp"

#include "adam_family.hpp"
#include "descent/optim/chain_rule.hpp"

namespace descent::optim {
namespace {

template <class T, bool AmsGrad>
std::unique_ptr<Rule<T>> adam_rule(const ParamValues& resolved) {
  return chain_rule(Adam<T, AmsGrad>{}, resolved, [](auto& chain, const Hyper& h) {
    transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"];
    adam_family::bind_moments(transform<ScaleByAdam<T, AmsGrad>>(chain), h);
  });
}

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return Hyper(resolved).flag("amsgrad") ? adam_rule<T, true>(resolved) : adam_rule<T, false>(resolved);
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "adam";
  d.summary = "Adam (Kingma & Ba, 2015) with coupled L2 weight decay (as torch.optim.Adam)";
  d.paper = "Kingma & Ba, Adam: A Method for Stochastic Optimization, ICLR 2015";
  d.params = adam_family::params(1e-3, 0.0, "L2 weight decay added to the gradient");
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
