#include "descent/optim/catalog.hpp"

#include <fmt/format.h>

namespace descent {

std::string describe_range(const ParamSpec& spec) {
  if (spec.kind == ParamKind::boolean) return "true or false";
  auto bound = [&](double value) { return spec.kind == ParamKind::integer ? fmt::format("{}", static_cast<long long>(value)) : fmt::format("{}", value); };
  const bool has_min = spec.min > -std::numeric_limits<double>::infinity();
  const bool has_max = spec.max < std::numeric_limits<double>::infinity();
  if (has_min && has_max) return fmt::format("{}{}, {}]", spec.min_exclusive ? "(" : "[", bound(spec.min), bound(spec.max));
  if (has_min) return fmt::format("{} {}", spec.min_exclusive ? ">" : ">=", bound(spec.min));
  if (has_max) return fmt::format("<= {}", bound(spec.max));
  return "any number";
}

}  // namespace descent

namespace descent::optim {
namespace {

ParamSpec learning_rate(double default_value) {
  return {"lr", ParamKind::real, default_value, 0.0, 1e3, true, "learning rate (peak value when a schedule is set)"};
}
ParamSpec weight_decay() { return {"weight_decay", ParamKind::real, 0.0, 0.0, 1e3, false, "weight decay"}; }
ParamSpec unit_interval(const char* name, double default_value, const char* doc) {
  return {name, ParamKind::real, default_value, 0.0, 1.0, false, doc};
}
ParamSpec epsilon(double default_value) {
  return {"eps", ParamKind::real, default_value, 0.0, 1.0, true, "term added to the denominator for stability"};
}
ParamSpec flag(const char* name, const char* doc) { return {name, ParamKind::boolean, 0.0, 0.0, 1.0, false, doc}; }

std::vector<OptimizerInfo> make_catalog() {
  return {
      {"sgd",
       "stochastic gradient descent with heavy-ball or Nesterov momentum and L2 weight decay (torch.optim.SGD)",
       {learning_rate(0.01), unit_interval("momentum", 0.0, "momentum factor"),
        unit_interval("dampening", 0.0, "dampening for momentum"), weight_decay(),
        flag("nesterov", "Nesterov momentum (needs momentum > 0 and dampening 0)")}},
      {"adam",
       "Adam (Kingma & Ba, 2015) with coupled L2 weight decay (torch.optim.Adam)",
       {learning_rate(1e-3), unit_interval("beta1", 0.9, "decay of the first moment"),
        unit_interval("beta2", 0.999, "decay of the second moment"), epsilon(1e-8), weight_decay(),
        flag("amsgrad", "AMSGrad: divide by the running maximum of the second moment")}},
      {"adamw",
       "AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay (torch.optim.AdamW)",
       {learning_rate(1e-3), unit_interval("beta1", 0.9, "decay of the first moment"),
        unit_interval("beta2", 0.999, "decay of the second moment"), epsilon(1e-8),
        {"weight_decay", ParamKind::real, 1e-2, 0.0, 1e3, false, "decoupled weight decay"},
        flag("amsgrad", "AMSGrad: divide by the running maximum of the second moment")}},
      {"adagrad",
       "AdaGrad (Duchi et al., 2011) (torch.optim.Adagrad)",
       {learning_rate(1e-2), {"lr_decay", ParamKind::real, 0.0, 0.0, 1e3, false, "learning-rate decay"},
        weight_decay(), {"initial_accumulator_value", ParamKind::real, 0.0, 0.0, 1e6, false, "starting sum of squares"},
        epsilon(1e-10)}},
      {"rmsprop",
       "RMSProp (Tieleman & Hinton, 2012), optionally centered and with momentum (torch.optim.RMSprop)",
       {learning_rate(1e-2), unit_interval("alpha", 0.99, "smoothing constant"), epsilon(1e-8), weight_decay(),
        unit_interval("momentum", 0.0, "momentum factor"), flag("centered", "divide by the estimated variance")}},
  };
}

}  // namespace

const std::vector<OptimizerInfo>& catalog() {
  static const std::vector<OptimizerInfo> entries = make_catalog();
  return entries;
}

const OptimizerInfo* find_optimizer(std::string_view name) {
  for (const auto& info : catalog()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::vector<std::string> optimizer_names() {
  std::vector<std::string> names;
  for (const auto& info : catalog()) names.push_back(info.name);
  return names;
}

}  // namespace descent::optim
