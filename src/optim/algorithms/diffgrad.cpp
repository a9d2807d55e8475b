// diffGrad's description (the rule and where implementations disagree:
// include/descent/optim/algorithms/diffgrad.hpp).
#include "descent/optim/algorithms/diffgrad.hpp"

#include "adam_family.hpp"
#include "descent/optim/chain_rule.hpp"

namespace descent::optim {
namespace {

template <class T, bool Published>
std::unique_ptr<Rule<T>> diffgrad_rule(const ParamValues& resolved) {
  return chain_rule(DiffGrad<T, Published>{}, resolved, [](auto& chain, const Hyper& h) {
    transform<AddL2Decay<T>>(chain).weight_decay = h["weight_decay"];
    adam_family::bind_moments(transform<ScaleByDiffGrad<T, Published>>(chain), h);
  });
}

template <class T>
std::unique_ptr<Rule<T>> build(const ParamValues& resolved) {
  return Hyper(resolved).flag("published") ? diffgrad_rule<T, true>(resolved) : diffgrad_rule<T, false>(resolved);
}

OptimizerDescription description() {
  OptimizerDescription d;
  d.name = "diffgrad";
  d.summary = "diffGrad (Dubey et al., 2019): Adam scaled by the friction xi = sigmoid(|g_prev - g|)";
  d.paper = "Dubey et al., diffGrad: An Optimization Method for Convolutional Neural Networks, IEEE TNNLS 2019";
  d.params = adam_family::params(1e-3, 0.0, "L2 weight decay added to the gradient");
  d.params.push_back(params::flag("published", "reproduce the published code (xi == 0.5: Adam at half the rate)"));
  d.adaptive = true;
  d.step_scaling = StepScaling::invariant;
  return d;
}

const Registration registration{description(), build<float>, build<double>};

}  // namespace
}  // namespace descent::optim
