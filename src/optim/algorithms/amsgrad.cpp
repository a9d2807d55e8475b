// AMSGrad's description (the rule: include/descent/optim/algorithms/amsgrad.hpp).
#include "descent/optim/algorithms/amsgrad.hpp"

#include "adam_family.hpp"
#include "descent/optim/chain_rule.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(AmsGrad<T>{}, resolved, [](auto& chain, const Hyper& h) {
    transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"];
    adam_family::bind_moments(transform<ScaleByAdam<T, true>>(chain), h);
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "amsgrad";
  d.summary = "AMSGrad (Reddi et al., 2018): Adam with the running maximum of the second moment";
  d.paper = "Reddi, Kale & Kumar, On the Convergence of Adam and Beyond, ICLR 2018";
  d.params = adam_family::params(1e-3, 0.0, "L2 weight decay added to the gradient");
  d.adaptive = true;
  d.step_scaling = StepScaling::invariant;
  d.preconditioner = [](const ParamValues& h, std::int64_t steps) { return adam_family::preconditioner(h, steps, "v_max"); };
  d.preconditioned_threshold = adam_family::threshold;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
