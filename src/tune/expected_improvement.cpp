// Expected improvement (Jones, Schonlau & Welch 1998; Frazier 2018, eq. 8) for minimization:
//   EI(x) = s h(z),  z = (best - m) / s,  h(z) = phi(z) + z Phi(z),
// in log form. For z < -2, h(z) = phi(z) (1 - t R(t)) with t = -z and Mills' ratio R(t) =
// Phi(-t)/phi(t) = 1 / (t + 1/(t + 2/(t + 3/(t + ...)))); writing the continued fraction as
// C = t + 1/T, 1 - t R = (1/T) / C needs no subtraction, so log EI stays accurate where EI itself
// underflows (z = -40 and beyond) and the optimizer still sees a slope.
#include <cmath>
#include <numbers>

#include "descent/tune/acquisition.hpp"

namespace descent::tune {
namespace {

constexpr double kLogSqrt2Pi = 0.9189385332046727;

double log_phi(double z) { return -0.5 * z * z - kLogSqrt2Pi; }
double big_phi(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// T = t + 2/(t + 3/(t + 4/(t + ...))), evaluated from the tail.
double continued_fraction_tail(double t) {
  double tail = t;
  for (int k = 80; k >= 2; --k) tail = t + k / tail;
  return tail;
}

}  // namespace

double log_expected_improvement(double mean, double sd, double best, double* d_mean, double* d_sd) {
  sd = std::max(sd, 1e-12);
  const double z = (best - mean) / sd;
  double log_h, phi_over_h, big_phi_over_h;
  if (z >= -2.0) {
    const double phi = std::exp(log_phi(z)), cdf = big_phi(z);
    const double h = phi + z * cdf;
    log_h = std::log(h);
    phi_over_h = phi / h;
    big_phi_over_h = cdf / h;
  } else {
    const double t = -z, tail = continued_fraction_tail(t);
    const double c = t + 1.0 / tail;  // 1 / Mills' ratio
    log_h = log_phi(z) - std::log(tail) - std::log(c);
    phi_over_h = tail * c;   // phi / (phi (1 - t R)) = 1 / ((1/T)/C)
    big_phi_over_h = tail;   // R phi / h = R T C = T
  }
  // EI = s h(z); dEI/dm = -Phi(z), dEI/ds = phi(z).
  if (d_mean) *d_mean = -big_phi_over_h / sd;
  if (d_sd) *d_sd = phi_over_h / sd;
  return std::log(sd) + log_h;
}

double LogExpectedImprovement::evaluate(const std::vector<double>& x, std::vector<double>* gradient) const {
  std::vector<double> dm, dv;
  const Prediction p = gradient ? gp_.predict(x, dm, dv) : gp_.predict(x);
  const double sd = std::sqrt(std::max(p.variance, 1e-24));
  double d_mean = 0.0, d_sd = 0.0;
  const double value = log_expected_improvement(p.mean, sd, best_, &d_mean, &d_sd);
  if (gradient) {
    gradient->resize(x.size());
    for (std::size_t d = 0; d < x.size(); ++d) (*gradient)[d] = d_mean * dm[d] + d_sd * dv[d] / (2.0 * sd);
  }
  return value;
}

}  // namespace descent::tune
