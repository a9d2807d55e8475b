// AdaDelta's description (the rule: include/descent/optim/algorithms/adadelta.hpp).
#include "descent/optim/algorithms/adadelta.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(Adadelta<T>{}, resolved, [](auto& chain, const Hyper& h) {
    transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"];
    auto& adadelta = transform<ScaleByAdadelta<T>>(chain);
    adadelta.rho = h["rho"], adadelta.eps = h["eps"];
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "adadelta";
  d.summary = "AdaDelta (Zeiler, 2012), as torch.optim.Adadelta";
  d.paper = "Zeiler, ADADELTA: An Adaptive Learning Rate Method, arXiv 1212.5701";
  d.params = {params::learning_rate(1.0), params::beta("rho", 0.9, "decay of the squared averages"), params::epsilon(1e-6),
              params::weight_decay()};
  d.adaptive = true;
  d.step_scaling = StepScaling::invariant;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
