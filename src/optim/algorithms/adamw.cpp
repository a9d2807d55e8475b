// AdamW's description (the rule: include/descent/optim/algorithms/adamw.hpp).
#include "descent/optim/algorithms/adamw.hpp"

#include "adam_family.hpp"
#include "descent/optim/chain_rule.hpp"

namespace descent::optim {
namespace {

template <class T, bool AmsGrad>
std::unique_ptr<Rule<T>> adamw_rule(const ParamValues& resolved) {
  return chain_rule(AdamW<T, AmsGrad>{}, resolved, [](auto& chain, const Hyper& h) {
    auto& adam = transform<ScaleByAdam<T, AmsGrad>>(chain);
    adam.beta1 = h["beta1"], adam.beta2 = h["beta2"], adam.eps = h["eps"];
    transform<AddDecoupledDecay<T>>(chain).weight_decay = h["weight_decay"];
  });
}

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return Hyper(resolved).flag("amsgrad") ? adamw_rule<T, true>(resolved) : adamw_rule<T, false>(resolved);
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "adamw";
  d.summary = "AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay (as torch.optim.AdamW)";
  d.paper = "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019";
  d.params = adam_family::params(1e-3, 1e-2, "decoupled weight decay");
  d.params.push_back(params::flag("amsgrad", "AMSGrad: divide by the running maximum of the second moment"));
  d.adaptive = true;
  d.preconditioner = [](const ParamValues& h, std::int64_t steps) {
    return adam_family::preconditioner(h, steps, h.at("amsgrad") != 0.0 ? "v_max" : "v");
  };
  d.preconditioned_threshold = adam_family::threshold;
  d.build_float = build<float>;
  d.build_double = build<double>;
  return d;
}

const Registration registration{description()};

}  // namespace
}  // namespace descent::optim
