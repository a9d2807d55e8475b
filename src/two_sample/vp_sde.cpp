#include "descent/two_sample/vp_sde.hpp"

#include <cmath>

namespace descent::two_sample {

double VpSde::mean_coefficient(double t) const { return std::exp(log_mean_coefficient(t)); }

// -expm1(2 log alpha) = 1 - alpha^2 without cancellation at small t.
double VpSde::marginal_std(double t) const { return std::sqrt(-std::expm1(2.0 * log_mean_coefficient(t))); }

}  // namespace descent::two_sample
