// The hyperparameter specs optimizers share (learning rate, betas, eps, weight decay, flags), so
// each optimizer's description states its parameters in a line each.
#pragma once

#include <string>

#include "descent/core/param_spec.hpp"

namespace descent::optim::params {

inline ParamSpec learning_rate(double default_value) {
  return {"lr", ParamKind::real, default_value, 0.0, 1e12, true, "learning rate (peak value when a schedule is set)", {}};
}
inline ParamSpec weight_decay(double default_value = 0.0, const char* doc = "weight decay") {
  return {"weight_decay", ParamKind::real, default_value, 0.0, 1e3, false, doc, {}};
}
inline ParamSpec unit_interval(const char* name, double default_value, const char* doc) {
  return {name, ParamKind::real, default_value, 0.0, 1.0, false, doc, {}};
}
inline ParamSpec beta(const char* name, double default_value, const char* doc) { return unit_interval(name, default_value, doc); }
inline ParamSpec epsilon(double default_value) {
  return {"eps", ParamKind::real, default_value, 0.0, 1.0, true, "term added to the denominator for stability", {}};
}
inline ParamSpec positive(const char* name, double default_value, const char* doc) {
  return {name, ParamKind::real, default_value, 0.0, 1e6, true, doc, {}};
}
inline ParamSpec flag(const char* name, const char* doc) { return {name, ParamKind::boolean, 0.0, 0.0, 1.0, false, doc, {}}; }
// Every optimizer also takes clip_norm (appended by the registry): the group's gradient is
// scaled to at most this global l2 norm first, so that it can be scheduled like any other value.
inline ParamSpec clip_norm() {
  return {"clip_norm", ParamKind::real, 0.0, 0.0, 1e12, false, "clip the group's gradient to this global l2 norm first (0: off)", {}};
}

}  // namespace descent::optim::params
