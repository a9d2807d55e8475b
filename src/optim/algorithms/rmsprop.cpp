// RMSProp's description (the rule: include/descent/optim/algorithms/rmsprop.hpp).
#include "descent/optim/algorithms/rmsprop.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T, bool Centered, bool Momentum>
std::unique_ptr<Rule<T>> rmsprop_rule(const ParamValues& resolved) {
  return chain_rule(Rmsprop<T, Centered, Momentum>{}, resolved, [](auto& chain, const Hyper& h) {
    transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"];
    auto& rmsprop = transform<ScaleByRmsprop<T, Centered, Momentum>>(chain);
    rmsprop.alpha = h["alpha"], rmsprop.eps = h["eps"], rmsprop.momentum = h["momentum"];
  });
}

// Centered and momentum pick the chain (each variant keeps only the state it uses).
template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  const Hyper h(resolved);
  const bool momentum = h["momentum"] > 0.0;
  if (h.flag("centered")) return momentum ? rmsprop_rule<T, true, true>(resolved) : rmsprop_rule<T, true, false>(resolved);
  return momentum ? rmsprop_rule<T, false, true>(resolved) : rmsprop_rule<T, false, false>(resolved);
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "rmsprop";
  d.summary = "RMSProp (Tieleman & Hinton, 2012), optionally centered and with momentum (as torch.optim.RMSprop)";
  d.paper = "Tieleman & Hinton, Lecture 6.5 of Neural Networks for Machine Learning, 2012; centered: Graves 2013";
  d.params = {params::learning_rate(1e-2), params::unit_interval("alpha", 0.99, "smoothing constant"), params::epsilon(1e-8),
              params::weight_decay(), params::unit_interval("momentum", 0.0, "momentum factor"),
              params::flag("centered", "divide by the estimated variance")};
  d.adaptive = true;
  d.step_scaling = StepScaling::invariant;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
