// The control path X of a neural CDE (Kidger, Morrill, Foster & Lyons, "Neural Controlled Differential
// Equations for Irregular Time Series", NeurIPS 2020; Kidger's thesis, section 3.2): observations
// x_0..x_(n-1) of a batch of series at shared knots s_0 < ... < s_(n-1), interpolated per interval
// [s_i, s_(i+1)] with u = s - s_i, d_i = s_(i+1) - s_i, slope m_i = (x_(i+1) - x_i) / d_i:
//   linear:                 X(s) = x_i + m_i u
//   Hermite cubic with backward differences (diffrax's backward_hermite_coefficients, torchcde's
//   hermite_cubic_coefficients_with_backward_differences): the cubic through x_i and x_(i+1) whose
//   derivative is m_(i-1) at s_i and m_i at s_(i+1) (m_(-1) = m_0), i.e.
//     X(s) = x_i + b u + c u^2 + e u^3,  b = m_(i-1),  c = 2 (m_i - b) / d_i,  e = (b - m_i) / d_i^2.
//   It is C^1, reproduces linear data exactly, and X on
//   [s_i, s_(i+1)] depends only on x_(i-1), x_i, x_(i+1): the path is known one observation late,
//   so a CDE on it can run online.
// Irregular sampling is carried by the data, not by the knots: a series' own observation times go in
// as a channel, and the knots may be the observation index. A CDE's solution does not depend on how
// its path is parametrized, so the index parametrization loses nothing and lets a batch of series
// observed at different times share one solve.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace descent::ode {

enum class Interpolation { linear, hermite_cubic };

// "linear" or "hermite_cubic"; ConfigError names anything else.
Interpolation interpolation_from_name(const std::string& name);

class ControlPath {
public:
  // `values`: batch x knots x channels (floating; gradients flow through it), `knots` increasing.
  // Throws ConfigError for fewer than 2 knots, non-increasing knots or a mismatched size.
  ControlPath(torch::Tensor values, std::vector<double> knots, Interpolation interpolation);

  const std::vector<double>& knots() const { return knots_; }
  std::int64_t intervals() const { return static_cast<std::int64_t>(knots_.size()) - 1; }
  std::int64_t channels() const { return values_.size(2); }
  Interpolation interpolation() const { return interpolation_; }

  // X(s) and dX/ds(s) (batch x channels) on interval `interval`'s polynomial: a step of a solver
  // lives in one interval, so even an end point on a knot uses the step's own piece (the linear
  // path's derivative jumps there).
  torch::Tensor value(std::int64_t interval, double s) const;
  torch::Tensor derivative(std::int64_t interval, double s) const;
  // The interval that holds s (the last one for s at or past the last knot).
  std::int64_t interval_of(double s) const;
  torch::Tensor value(double s) const { return value(interval_of(s), s); }
  torch::Tensor derivative(double s) const { return derivative(interval_of(s), s); }

private:
  torch::Tensor values_;
  std::vector<double> knots_;
  Interpolation interpolation_;
  // Per interval: batch x intervals x channels coefficients of 1, u, u^2, u^3.
  torch::Tensor constant_, linear_, quadratic_, cubic_;
};

}  // namespace descent::ode
