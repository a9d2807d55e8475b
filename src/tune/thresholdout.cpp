#include "descent/tune/thresholdout.hpp"

#include <cmath>

namespace descent::tune {

double laplace(Rng& rng, double scale) {
  double u = rng.uniform() - 0.5;  // in [-1/2, 1/2)
  while (u == -0.5) u = rng.uniform() - 0.5;
  return -scale * (u < 0 ? -1.0 : 1.0) * std::log(1.0 - 2.0 * std::abs(u));
}

Thresholdout::Thresholdout(double threshold, double sigma, int budget, std::uint64_t seed)
    : threshold_(threshold), sigma_(sigma), budget_(budget), rng_(seed) {
  noisy_threshold_ = threshold_ + laplace(rng_, 2 * sigma_);
}

std::optional<double> Thresholdout::answer(double training_value, double holdout_value) {
  if (budget_ <= 0) return std::nullopt;
  if (std::abs(holdout_value - training_value) > noisy_threshold_ + laplace(rng_, 4 * sigma_)) {
    --budget_;
    noisy_threshold_ = threshold_ + laplace(rng_, 2 * sigma_);
    return holdout_value + laplace(rng_, sigma_);
  }
  return training_value;
}

}  // namespace descent::tune
