// SGD's description (the rule: include/descent/optim/algorithms/sgd.hpp).
#include "descent/optim/algorithms/sgd.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  // Without momentum torch keeps no buffer: neither does the plain chain.
  if (Hyper(resolved)["momentum"] == 0.0) {
    return chain_rule(PlainSgd<T>{}, resolved,
                      [](auto& chain, const Hyper& h) { transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"]; });
  }
  return chain_rule(MomentumSgd<T>{}, resolved, [](auto& chain, const Hyper& h) {
    transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"];
    auto& momentum = transform<ScaleByMomentum<T>>(chain);
    momentum.momentum = h["momentum"], momentum.dampening = h["dampening"], momentum.nesterov = h.flag("nesterov");
  });
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "sgd";
  d.summary = "SGD with heavy-ball or Nesterov momentum, dampening and L2 weight decay (as torch.optim.SGD)";
  d.paper = "Robbins & Monro 1951; momentum as Sutskever, Martens, Dahl & Hinton, ICML 2013";
  d.params = {params::learning_rate(0.01), params::unit_interval("momentum", 0.0, "momentum factor"),
              params::unit_interval("dampening", 0.0, "dampening for momentum"), params::weight_decay(),
              params::flag("nesterov", "Nesterov momentum (needs momentum > 0 and dampening 0)")};
  d.check = [](const ParamValues& h) -> std::optional<ValueProblem> {
    if (h.at("nesterov") != 0.0 && (h.at("momentum") <= 0.0 || h.at("dampening") != 0.0)) {
      return ValueProblem{"nesterov", "Nesterov momentum needs momentum > 0 and dampening = 0"};
    }
    return std::nullopt;
  };
  // Gradient descent is stable on a quadratic while lambda_max < 2/lr; heavy-ball momentum beta
  // moves the bound to (2 + 2 beta)/lr (Cohen et al., ICLR 2021). Nesterov's bound differs: none.
  d.sharpness_threshold = [](const ParamValues& h, double lr) -> std::optional<double> {
    if (h.at("nesterov") != 0.0) return std::nullopt;
    return (2.0 + 2.0 * h.at("momentum")) / lr;
  };
  // A linearly stable minimum of SGD has tr(H) <= 2/lr (Wu & Su, ICML 2023).
  d.trace_threshold = [](const ParamValues&, double lr) -> std::optional<double> { return 2.0 / lr; };
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
