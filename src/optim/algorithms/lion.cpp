// Lion's description (the rule: include/descent/optim/algorithms/lion.hpp).
#include "descent/optim/algorithms/lion.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(Lion<T>{}, resolved, [](auto& chain, const Hyper& h) {
    auto& lion = transform<ScaleByLion<T>>(chain);
    lion.beta1 = h["beta1"], lion.beta2 = h["beta2"];
    transform<AddDecoupledDecay<T>>(chain).weight_decay = h["weight_decay"];
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "lion";
  d.summary = "Lion (Chen et al., 2023): sign of interpolated momentum, decoupled decay (box ||x||_inf <= 1/wd)";
  d.paper = "Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023";
  d.params = {params::learning_rate(1e-4), params::beta("beta1", 0.9, "interpolation of the update"),
              params::beta("beta2", 0.99, "decay of the momentum"), params::weight_decay(0.0, "decoupled weight decay")};
  d.step_scaling = StepScaling::invariant;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
