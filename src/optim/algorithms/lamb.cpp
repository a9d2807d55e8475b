// LAMB's description (the rule: include/descent/optim/algorithms/lamb.hpp).
#include "descent/optim/algorithms/lamb.hpp"

#include "adam_family.hpp"
#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(Lamb<T>{}, resolved, [](auto& chain, const Hyper& h) {
    adam_family::bind_moments(transform<ScaleByAdam<T>>(chain), h);
    transform<AddDecoupledDecay<T>>(chain).weight_decay = h["weight_decay"];
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "lamb";
  d.summary = "LAMB (You et al., 2020): Adam's step with decay, scaled per tensor by the trust ratio ||p|| / ||r||";
  d.paper = "You et al., Large Batch Optimization for Deep Learning: Training BERT in 76 minutes, ICLR 2020";
  d.params = {params::learning_rate(1e-3), params::beta("beta1", 0.9, "decay of the first moment"),
              params::beta("beta2", 0.999, "decay of the second moment"), params::epsilon(1e-6),
              params::weight_decay(0.0, "decay added to the step before the trust ratio")};
  d.adaptive = true;
  d.step_scaling = StepScaling::global_norm;  // a per-layer trust ratio
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
