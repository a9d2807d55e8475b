#include "descent/tune/thresholdout.hpp"

#include <cmath>

namespace descent::tune {

double laplace(Rng& rng, double scale) {
  double u = rng.uniform() - 0.5;  // in [-1/2, 1/2)
  while (u == -0.5) u = rng.uniform() - 0.5;
  return -scale * (u < 0 ? -1.0 : 1.0) * std::log(1.0 - 2.0 * std::abs(u));
}

Thresholdout::Thresholdout(const ThresholdoutSettings& settings) : settings_(settings) {
  Rng rng = Rng::derived(settings.seed, UINT64_MAX);
  state_.remaining_budget = settings.budget;
  state_.noisy_threshold = settings.threshold + laplace(rng, 2 * settings.sigma);
}

std::optional<double> Thresholdout::answer(double training_value, double holdout_value) {
  if (state_.remaining_budget <= 0) return std::nullopt;
  Rng rng = Rng::derived(settings_.seed, state_.answers++);
  const double sigma = settings_.sigma;
  if (std::abs(holdout_value - training_value) > state_.noisy_threshold + laplace(rng, 4 * sigma)) {
    --state_.remaining_budget;
    state_.noisy_threshold = settings_.threshold + laplace(rng, 2 * sigma);
    return holdout_value + laplace(rng, sigma);
  }
  return training_value;
}

}  // namespace descent::tune
