#include "descent/ode/control_path.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "descent/core/error.hpp"

namespace descent::ode {

Interpolation interpolation_from_name(const std::string& name) {
  if (name == "linear") return Interpolation::linear;
  if (name == "hermite_cubic") return Interpolation::hermite_cubic;
  throw ConfigError(fmt::format("interpolation '{}' is not known (linear, hermite_cubic)", name));
}

ControlPath::ControlPath(torch::Tensor values, std::vector<double> knots, Interpolation interpolation)
    : values_(std::move(values)), knots_(std::move(knots)), interpolation_(interpolation) {
  if (values_.dim() != 3) throw ConfigError(fmt::format("control path: values of {} dimensions (batch x knots x channels)", values_.dim()));
  if (knots_.size() < 2 || values_.size(1) != static_cast<std::int64_t>(knots_.size())) {
    throw ConfigError(fmt::format("control path: {} knots for {} observations (need the same number, at least 2)", knots_.size(), values_.size(1)));
  }
  for (std::size_t i = 1; i < knots_.size(); ++i) {
    if (!(knots_[i] > knots_[i - 1])) throw ConfigError(fmt::format("control path: knot {} ({}) is not after knot {} ({})", i, knots_[i], i - 1, knots_[i - 1]));
  }
  std::vector<double> widths(knots_.size() - 1);
  for (std::size_t i = 0; i + 1 < knots_.size(); ++i) widths[i] = knots_[i + 1] - knots_[i];
  const torch::Tensor d = torch::tensor(widths, values_.options()).view({1, -1, 1});
  const std::int64_t n = values_.size(1);
  constant_ = values_.slice(1, 0, n - 1);
  const torch::Tensor slopes = (values_.slice(1, 1, n) - constant_) / d;
  if (interpolation_ == Interpolation::linear) {
    linear_ = slopes;
    return;
  }
  // The start derivative is the previous interval's slope (the first interval reuses its own).
  const torch::Tensor start = torch::cat({slopes.slice(1, 0, 1), slopes.slice(1, 0, n - 2)}, 1);
  linear_ = start;
  quadratic_ = (2 * slopes - 2 * start) / d;  // (3 m - 2 b - m) / d with end derivative m
  cubic_ = (start - slopes) / (d * d);        // (m + b - 2 m) / d^2
}

std::int64_t ControlPath::interval_of(double s) const {
  const auto above = std::upper_bound(knots_.begin(), knots_.end(), s);
  const std::int64_t i = static_cast<std::int64_t>(above - knots_.begin()) - 1;
  return std::clamp<std::int64_t>(i, 0, intervals() - 1);
}

torch::Tensor ControlPath::value(std::int64_t interval, double s) const {
  const double u = s - knots_[static_cast<std::size_t>(interval)];
  torch::Tensor x = constant_.select(1, interval) + u * linear_.select(1, interval);
  if (interpolation_ == Interpolation::hermite_cubic) x = x + (u * u) * quadratic_.select(1, interval) + (u * u * u) * cubic_.select(1, interval);
  return x;
}

torch::Tensor ControlPath::derivative(std::int64_t interval, double s) const {
  if (interpolation_ == Interpolation::linear) return linear_.select(1, interval);
  const double u = s - knots_[static_cast<std::size_t>(interval)];
  return linear_.select(1, interval) + (2 * u) * quadratic_.select(1, interval) + (3 * u * u) * cubic_.select(1, interval);
}

}  // namespace descent::ode
