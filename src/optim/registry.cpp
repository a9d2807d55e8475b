// Names -> fused chains. Each optimizer of the catalog is built here from its resolved values.
#include <fmt/format.h>

#include <functional>
#include <map>

#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/optim/algorithms/adadelta.hpp"
#include "descent/optim/algorithms/adagrad.hpp"
#include "descent/optim/algorithms/adagrad_norm.hpp"
#include "descent/optim/algorithms/adam.hpp"
#include "descent/optim/algorithms/adamw.hpp"
#include "descent/optim/algorithms/amsgrad.hpp"
#include "descent/optim/algorithms/diffgrad.hpp"
#include "descent/optim/algorithms/exadam.hpp"
#include "descent/optim/algorithms/lion.hpp"
#include "descent/optim/algorithms/lion_k.hpp"
#include "descent/optim/algorithms/normalized_gd.hpp"
#include "descent/optim/algorithms/rmsprop.hpp"
#include "descent/optim/algorithms/sgd.hpp"
#include "descent/optim/algorithms/sign_sgd.hpp"
#include "descent/optim/catalog.hpp"
#include "descent/optim/rule.hpp"

namespace descent::optim {
namespace {

template <class Chain>
class ChainRule final : public Rule<typename Chain::value_type> {
public:
  using T = typename Chain::value_type;
  explicit ChainRule(Chain chain) : chain_(std::move(chain)) {}
  int slots() const override { return Chain::slots; }
  T initial_value(int slot) const override { return chain_.initial_value(slot); }
  void step(std::span<const ParamBuffer<T>> buffers, const StepContext& context, const FusedOptions& options) override {
    fused_step(chain_, buffers, context, options);
  }
  std::vector<double> scalar_state() const override { return chain_.scalar_state(); }
  void load_scalar_state(const std::vector<double>& values) override { chain_.load_scalar_state(values); }

private:
  Chain chain_;
};

template <class Chain>
std::unique_ptr<Rule<typename Chain::value_type>> rule(Chain chain) {
  return std::make_unique<ChainRule<Chain>>(std::move(chain));
}

// Reads resolved values by key; every key exists after resolve_hyperparameters.
struct Values {
  const ParamValues& values;
  double operator[](const char* key) const { return values.at(key); }
  bool flag(const char* key) const { return values.at(key) != 0.0; }
};

AdamOptions adam_options(const Values& h) { return {h["beta1"], h["beta2"], h["eps"], h["weight_decay"]}; }

template <class T>
std::unique_ptr<Rule<T>> build(const std::string& name, const Values& h) {
  if (name == "sgd") {
    const SgdOptions o{h["momentum"], h["dampening"], h["weight_decay"], h.flag("nesterov")};
    if (o.momentum == 0.0) return rule(plain_sgd<T>(o));
    return rule(momentum_sgd<T>(o));
  }
  if (name == "adagrad") {
    return rule(adagrad<T>({h["lr_decay"], h["weight_decay"], h["initial_accumulator_value"], h["eps"]}));
  }
  if (name == "adagrad_norm") return rule(adagrad_norm<T>(h["b0"]));
  if (name == "adadelta") return rule(adadelta<T>({h["rho"], h["eps"], h["weight_decay"]}));
  if (name == "rmsprop") {
    const RmspropOptions o{h["alpha"], h["eps"], h["weight_decay"], h["momentum"], h.flag("centered")};
    const bool momentum = o.momentum > 0.0;
    if (o.centered) return momentum ? rule(rmsprop<T, true, true>(o)) : rule(rmsprop<T, true, false>(o));
    return momentum ? rule(rmsprop<T, false, true>(o)) : rule(rmsprop<T, false, false>(o));
  }
  if (name == "adam") return h.flag("amsgrad") ? rule(adam<T, true>(adam_options(h))) : rule(adam<T, false>(adam_options(h)));
  if (name == "adamw") return h.flag("amsgrad") ? rule(adamw<T, true>(adam_options(h))) : rule(adamw<T, false>(adam_options(h)));
  if (name == "amsgrad") return rule(amsgrad<T>(adam_options(h)));
  if (name == "diffgrad") {
    const DiffGradOptions o{h["beta1"], h["beta2"], h["eps"], h["weight_decay"]};
    return h.flag("published") ? rule(diffgrad<T, true>(o)) : rule(diffgrad<T, false>(o));
  }
  if (name == "exadam") return rule(exadam<T>({h["beta1"], h["beta2"], h["eps"], h["weight_decay"], h.flag("growing_step")}));
  if (name == "lion") return rule(lion<T>({h["beta1"], h["beta2"], h["weight_decay"]}));
  if (name == "lion_l2") return rule(lion_l2<T>(h["beta1"], h["beta2"], h["weight_decay"]));
  if (name == "normalized_gd") return rule(NormalizedGd<T>{});
  if (name == "loss_normalized_gd") return rule(LossNormalizedGd<T>{});
  if (name == "sign_sgd") return rule(SignSgd<T>({h["weight_decay"]}, {}, {}));
  throw ConfigError(fmt::format("optimizer '{}' is in the catalog but has no implementation", name));
}

}  // namespace

ParamValues resolve_hyperparameters(const std::string& name, const ParamValues& given) {
  const OptimizerInfo* info = find_optimizer(name);
  if (!info) {
    throw ConfigError(fmt::format("unknown optimizer '{}'{}", name, text::did_you_mean(name, optimizer_names())));
  }
  std::vector<std::string> known;
  for (const auto& spec : info->params) known.push_back(spec.name);
  for (const auto& [key, value] : given) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw ConfigError(fmt::format("optimizer '{}' has no hyperparameter '{}'{}", name, key, text::did_you_mean(key, known)));
    }
  }
  ParamValues resolved;
  for (const auto& spec : info->params) {
    const auto it = given.find(spec.name);
    const double value = it == given.end() ? spec.default_value : it->second;
    const bool below = spec.min_exclusive ? value <= spec.min : value < spec.min;
    if (!std::isfinite(value) || below || value > spec.max) {
      throw ConfigError(fmt::format("optimizer '{}': {} = {} is out of range: must be {}", name, spec.name, value,
                                    describe_range(spec)));
    }
    resolved[spec.name] = value;
  }
  return resolved;
}

template <class T>
std::unique_ptr<Rule<T>> make_rule(const std::string& name, const ParamValues& resolved) {
  return build<T>(name, Values{resolved});
}

template std::unique_ptr<Rule<float>> make_rule<float>(const std::string&, const ParamValues&);
template std::unique_ptr<Rule<double>> make_rule<double>(const std::string&, const ParamValues&);

}  // namespace descent::optim
