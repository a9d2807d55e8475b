#include "descent/optim/catalog.hpp"

#include "descent/core/named.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace descent {

std::string describe_range(const ParamSpec& spec) {
  if (spec.kind == ParamKind::boolean) return "true or false";
  if (spec.kind == ParamKind::choice) return fmt::format("one of {}", fmt::join(spec.choices, ", "));
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
  return {"lr", ParamKind::real, default_value, 0.0, 1e12, true, "learning rate (peak value when a schedule is set)"};
}
ParamSpec weight_decay() { return {"weight_decay", ParamKind::real, 0.0, 0.0, 1e3, false, "weight decay"}; }
ParamSpec unit_interval(const char* name, double default_value, const char* doc) {
  return {name, ParamKind::real, default_value, 0.0, 1.0, false, doc};
}
ParamSpec epsilon(double default_value) {
  return {"eps", ParamKind::real, default_value, 0.0, 1.0, true, "term added to the denominator for stability"};
}
ParamSpec flag(const char* name, const char* doc) { return {name, ParamKind::boolean, 0.0, 0.0, 1.0, false, doc}; }

ParamSpec positive(const char* name, double default_value, const char* doc) {
  return {name, ParamKind::real, default_value, 0.0, 1e6, true, doc};
}
ParamSpec beta(const char* name, double default_value, const char* doc) {
  return {name, ParamKind::real, default_value, 0.0, 1.0, false, doc};
}

std::vector<ParamSpec> adam_family(double lr, double wd, const char* wd_doc) {
  return {learning_rate(lr), beta("beta1", 0.9, "decay of the first moment"),
          beta("beta2", 0.999, "decay of the second moment"), epsilon(1e-8),
          {"weight_decay", ParamKind::real, wd, 0.0, 1e3, false, wd_doc}};
}

std::vector<ParamSpec> with(std::vector<ParamSpec> params, const ParamSpec& extra) {
  params.push_back(extra);
  return params;
}

std::vector<OptimizerInfo> make_catalog() {
  return {
      {"sgd",
       "SGD with heavy-ball or Nesterov momentum, dampening and L2 weight decay (as torch.optim.SGD)",
       {learning_rate(0.01), unit_interval("momentum", 0.0, "momentum factor"),
        unit_interval("dampening", 0.0, "dampening for momentum"), weight_decay(),
        flag("nesterov", "Nesterov momentum (needs momentum > 0 and dampening 0)")}},
      {"adagrad",
       "AdaGrad (Duchi et al., 2011), as torch.optim.Adagrad",
       {learning_rate(1e-2), {"lr_decay", ParamKind::real, 0.0, 0.0, 1e3, false, "learning-rate decay"},
        weight_decay(), {"initial_accumulator_value", ParamKind::real, 0.0, 0.0, 1e6, false, "starting sum of squares"},
        epsilon(1e-10)}},
      {"adagrad_norm",
       "AdaGrad-Norm (Ward et al., 2019): one scalar step size lr / b, b^2 += ||g||^2",
       {learning_rate(0.1), positive("b0", 0.01, "initial b (b^2 accumulates squared gradient norms)")}},
      {"adadelta",
       "AdaDelta (Zeiler, 2012), as torch.optim.Adadelta",
       {learning_rate(1.0), beta("rho", 0.9, "decay of the squared averages"), epsilon(1e-6), weight_decay()}},
      {"rmsprop",
       "RMSProp (Tieleman & Hinton, 2012), optionally centered and with momentum (as torch.optim.RMSprop)",
       {learning_rate(1e-2), unit_interval("alpha", 0.99, "smoothing constant"), epsilon(1e-8), weight_decay(),
        unit_interval("momentum", 0.0, "momentum factor"), flag("centered", "divide by the estimated variance")}},
      {"adam",
       "Adam (Kingma & Ba, 2015) with coupled L2 weight decay (as torch.optim.Adam)",
       with(adam_family(1e-3, 0.0, "L2 weight decay added to the gradient"),
            flag("amsgrad", "AMSGrad: divide by the running maximum of the second moment"))},
      {"adamw",
       "AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay (as torch.optim.AdamW)",
       with(adam_family(1e-3, 1e-2, "decoupled weight decay"),
            flag("amsgrad", "AMSGrad: divide by the running maximum of the second moment"))},
      {"amsgrad",
       "AMSGrad (Reddi et al., 2018): Adam with the running maximum of the second moment",
       adam_family(1e-3, 0.0, "L2 weight decay added to the gradient")},
      {"diffgrad",
       "diffGrad (Dubey et al., 2019): Adam scaled by the friction xi = sigmoid(|g_prev - g|)",
       with(adam_family(1e-3, 0.0, "L2 weight decay added to the gradient"),
            flag("published", "reproduce the published code (xi == 0.5: Adam at half the rate)"))},
      {"exadam",
       "EXAdam (Adly, 2024): Adam with cross-moment debiasing and gradient acceleration",
       with(adam_family(1e-3, 0.0, "decoupled weight decay"),
            flag("growing_step", "the first version's step lr * ln(sqrt(2) * sqrt(t + 1))"))},
      {"lion",
       "Lion (Chen et al., 2023): sign of interpolated momentum, decoupled decay (box ||x||_inf <= 1/wd)",
       {learning_rate(1e-4), beta("beta1", 0.9, "interpolation of the update"),
        beta("beta2", 0.99, "decay of the momentum"), {"weight_decay", ParamKind::real, 0.0, 0.0, 1e3, false, "decoupled weight decay"}}},
      {"lion_l2",
       "Lion-K with K = ||.||_2 (Chen et al., 2024): normalized momentum, solves f on ||x||_2 <= 1/wd",
       {learning_rate(1e-4), beta("beta1", 0.9, "interpolation of the update"),
        beta("beta2", 0.99, "decay of the momentum"), {"weight_decay", ParamKind::real, 0.0, 0.0, 1e3, false, "decoupled weight decay"}}},
      {"normalized_gd",
       "gradient descent normalized by the gradient norm: x -= lr * g / ||g||",
       {learning_rate(0.1)}},
      {"loss_normalized_gd",
       "gradient descent normalized by the loss: x -= lr * g / f(x)",
       {learning_rate(0.1)}},
      {"sign_sgd",
       "signSGD (Bernstein et al., 2018): x -= lr * sign(g)",
       {learning_rate(1e-3), weight_decay()}},
  };
}

}  // namespace

// Every optimizer also takes clip_norm: the group's gradient is scaled to at most this global
// l2 norm before the step (torch.nn.utils.clip_grad_norm_'s rule), so it can be scheduled too.
std::vector<OptimizerInfo> with_clipping(std::vector<OptimizerInfo> entries) {
  for (auto& entry : entries) {
    entry.params.push_back({"clip_norm", ParamKind::real, 0.0, 0.0, 1e12, false,
                            "clip the group's gradient to this global l2 norm first (0: off)"});
  }
  return entries;
}

const std::vector<OptimizerInfo>& catalog() {
  static const std::vector<OptimizerInfo> entries = with_clipping(make_catalog());
  return entries;
}

const OptimizerInfo* find_optimizer(std::string_view name) { return find_by_name(catalog(), name); }

std::vector<std::string> optimizer_names() { return names_of(catalog()); }

}  // namespace descent::optim
