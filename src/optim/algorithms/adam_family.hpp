// What the Adam family shares in its descriptions: the parameters, the preconditioner the
// sharpness probe reads, and its stability threshold.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim::adam_family {

inline std::vector<ParamSpec> params(double lr, double wd, const char* wd_doc) {
  return {params::learning_rate(lr), params::beta("beta1", 0.9, "decay of the first moment"),
          params::beta("beta2", 0.999, "decay of the second moment"), params::epsilon(1e-8), params::weight_decay(wd, wd_doc)};
}

// Adam's and AdamW's switch to AMSGrad's running maximum.
inline ParamSpec amsgrad_flag() { return params::flag("amsgrad", "AMSGrad: divide by the running maximum of the second moment"); }

// P = (1 - beta1^t) diag(sqrt(v / (1 - beta2^t)) + eps): the update is lr P^{-1} m (Cohen et al. 2022).
inline std::optional<DiagonalPreconditioner> preconditioner(const ParamValues& h, std::int64_t steps, std::string slot) {
  if (steps == 0) return std::nullopt;
  const double t = static_cast<double>(steps);
  return DiagonalPreconditioner{std::move(slot), 1.0 - std::pow(h.at("beta1"), t), 1.0 - std::pow(h.at("beta2"), t), h.at("eps")};
}

// Adam and AdamW: on v, or on v_max with amsgrad = true.
inline std::optional<DiagonalPreconditioner> preconditioner_on_v_or_v_max(const ParamValues& h, std::int64_t steps) {
  return preconditioner(h, steps, h.at("amsgrad") != 0.0 ? "v_max" : "v");
}

// lambda_max(P^{-1} H) <= (2 + 2 beta1) / ((1 - beta1) lr): 38/lr at beta1 = 0.9 (Cohen et al. 2022).
inline std::optional<double> threshold(const ParamValues& h, double lr) {
  const double beta1 = h.at("beta1");
  return (2.0 + 2.0 * beta1) / ((1.0 - beta1) * lr);
}

// Writes beta1, beta2 and eps into a transform of the family (ScaleByAdam, ScaleByDiffGrad, ...).
template <class Moments>
void bind_moments(Moments& moments, const Hyper& h) {
  moments.beta1 = h["beta1"], moments.beta2 = h["beta2"], moments.eps = h["eps"];
}

}  // namespace descent::optim::adam_family
