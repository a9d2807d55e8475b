// AdaGrad's description (the rule: include/descent/optim/algorithms/adagrad.hpp).
#include "descent/optim/algorithms/adagrad.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return chain_rule(Adagrad<T>{}, resolved, [](auto& chain, const Hyper& h) {
    transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"];
    auto& adagrad = transform<ScaleByAdagrad<T>>(chain);
    adagrad.lr_decay = h["lr_decay"], adagrad.eps = h["eps"];
    adagrad.initial_accumulator_value = h["initial_accumulator_value"];  // read when the state is created
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "adagrad";
  d.summary = "AdaGrad (Duchi et al., 2011), as torch.optim.Adagrad";
  d.paper = "Duchi, Hazan & Singer, Adaptive Subgradient Methods for Online Learning and Stochastic Optimization, JMLR 2011";
  d.params = {params::learning_rate(1e-2),
              {"lr_decay", ParamKind::real, 0.0, 0.0, 1e3, false, "learning-rate decay", {}},
              params::weight_decay(),
              {"initial_accumulator_value", ParamKind::real, 0.0, 0.0, 1e6, false, "starting sum of squares", {}},
              params::epsilon(1e-10)};
  d.adaptive = true;
  d.step_scaling = StepScaling::invariant;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
