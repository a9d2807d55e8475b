// AdaGrad-Norm's description (the rule: include/descent/optim/algorithms/adagrad_norm.hpp).
#include "descent/optim/algorithms/adagrad_norm.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

// b0 only seeds b^2 when the rule is built; a schedule on it leaves the accumulated b^2 alone.
template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(adagrad_norm<T>(Hyper(resolved)["b0"]), resolved, bind_nothing);
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "adagrad_norm";
  d.summary = "AdaGrad-Norm (Ward et al., 2019): one scalar step size lr / b, b^2 += ||g||^2";
  d.paper = "Ward, Wu & Bottou, AdaGrad stepsizes: sharp convergence over nonconvex landscapes, ICML 2019";
  d.params = {params::learning_rate(0.1), params::positive("b0", 0.01, "initial b (b^2 accumulates squared gradient norms)")};
  d.step_scaling = StepScaling::global_norm;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
