// signSGD's description (the rule: include/descent/optim/algorithms/sign_sgd.hpp).
#include "descent/optim/algorithms/sign_sgd.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(SignSgd<T>{}, resolved,
                    [](auto& chain, const Hyper& h) { transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"]; });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "sign_sgd";
  d.summary = "signSGD (Bernstein et al., 2018): x -= lr * sign(g)";
  d.paper = "Bernstein, Wang, Azizzadenesheli & Anandkumar, signSGD: Compressed Optimisation for Non-Convex Problems, ICML 2018";
  d.params = {params::learning_rate(1e-3), params::weight_decay()};
  d.step_scaling = StepScaling::invariant;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
