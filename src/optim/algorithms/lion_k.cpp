// Lion-K's description, K = ||.||_2 (the rule: include/descent/optim/algorithms/lion_k.hpp).
#include "descent/optim/algorithms/lion_k.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(LionL2<T>{}, resolved, [](auto& chain, const Hyper& h) {
    auto& lion = transform<ScaleByLionL2<T>>(chain);
    lion.beta1 = h["beta1"], lion.beta2 = h["beta2"];
    transform<AddDecoupledDecay<T>>(chain).weight_decay = h["weight_decay"];
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "lion_l2";
  d.summary = "Lion-K with K = ||.||_2 (Chen et al., 2024): normalized momentum, solves f on ||x||_2 <= 1/wd";
  d.paper = "Chen, Liu, Liang & Liu, Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts, ICLR 2024";
  d.params = {params::learning_rate(1e-4), params::beta("beta1", 0.9, "interpolation of the update"),
              params::beta("beta2", 0.99, "decay of the momentum"), params::weight_decay(0.0, "decoupled weight decay")};
  d.step_scaling = StepScaling::global_norm;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
