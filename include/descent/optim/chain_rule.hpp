// A compile-time chain behind the Rule interface, the way each optimizer's file builds its rule:
//
//   return chain_rule(adam<T>({}), resolved, [](auto& chain, const Hyper& h) {
//     transform<ScaleByAdam<T>>(chain).beta1 = h["beta1"];  ...
//   });
//
// Every rule starts with ClipByGlobalNorm (clip_norm, off at 0), so clipping is one more fused
// transform rather than extra passes. The binder writes hyperparameters into the transforms; it
// runs at construction and whenever a schedule changes a value (Rule::bind), so the rule and its
// state (per-element and scalar) carry on unchanged, as optax's inject_hyperparams does.
#pragma once

#include <memory>
#include <tuple>
#include <utility>

#include "descent/optim/rule.hpp"
#include "descent/optim/transforms.hpp"

namespace descent::optim {

// Resolved hyperparameters by key (every key exists after resolution; booleans are 0 or 1).
class Hyper {
public:
  explicit Hyper(const ParamValues& values) : values_(values) {}
  double operator[](const char* key) const { return values_.at(key); }
  bool flag(const char* key) const { return values_.at(key) != 0.0; }

private:
  const ParamValues& values_;
};

// The transform of type Transform in a chain (each type appears once in a chain).
template <class Transform, class Chain>
Transform& transform(Chain& chain) {
  return std::get<Transform>(chain.transforms());
}

template <class Chain>
struct Clipped;
template <class T, class... Transforms>
struct Clipped<Chain<T, Transforms...>> {
  using type = Chain<T, ClipByGlobalNorm<T>, Transforms...>;
  static type from(const Chain<T, Transforms...>& inner) {
    return std::apply([](const auto&... t) { return type(ClipByGlobalNorm<T>{}, t...); }, inner.transforms());
  }
};

template <class Chain>
class ChainRule final : public Rule<typename Chain::value_type> {
public:
  using T = typename Chain::value_type;
  using Binder = void (*)(Chain&, const Hyper&);

  ChainRule(Chain chain, Binder binder) : chain_(std::move(chain)), binder_(binder) {}

  int slots() const override { return Chain::slots; }
  std::vector<std::string> slot_names() const override { return Chain::slot_names(); }
  T initial_value(int slot) const override { return chain_.initial_value(slot); }
  void bind(const ParamValues& values) override {
    const Hyper h(values);
    transform<ClipByGlobalNorm<T>>(chain_).max_norm = h["clip_norm"];
    binder_(chain_, h);
  }
  void step(std::span<const ParamBuffer<T>> buffers, const StepContext& context, const FusedOptions& options) override {
    fused_step(chain_, buffers, context, options);
  }
  std::vector<double> scalar_state() const override { return chain_.scalar_state(); }
  void load_scalar_state(const std::vector<double>& values) override { chain_.load_scalar_state(values); }

private:
  Chain chain_;
  Binder binder_;
};

// The rule of `inner` (its construction-time values set, e.g. AdaGrad-Norm's b0), clipped, bound
// to `resolved`. `binder` is a capture-less lambda taking (auto& chain, const Hyper&).
template <class Inner, class Binder>
std::unique_ptr<Rule<typename Inner::value_type>> chain_rule(const Inner& inner, const ParamValues& resolved, Binder binder) {
  using Full = typename Clipped<Inner>::type;
  auto rule = std::make_unique<ChainRule<Full>>(Clipped<Inner>::from(inner), static_cast<void (*)(Full&, const Hyper&)>(binder));
  rule->bind(resolved);
  return rule;
}

// For chains with nothing to bind beyond clipping.
inline constexpr auto bind_nothing = [](auto&, const Hyper&) {};

}  // namespace descent::optim
