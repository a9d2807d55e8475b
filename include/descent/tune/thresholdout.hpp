// Thresholdout, the reusable holdout (Dwork, Feldman, Hardt, Pitassi, Reingold & Roth, "The
// reusable holdout: Preserving validity in adaptive data analysis", Science 2015; the theory is
// their STOC 2015 paper). A query's answer is the training-set value unless it differs from the
// holdout value by more than a noisy threshold; then it is the holdout value plus Laplace noise
// and one unit of the budget is spent:
//   T^ = T + Lap(2 sigma);  if |h - t| > T^ + Lap(4 sigma): answer h + Lap(sigma), redraw T^, budget -= 1;
//   else answer t.
// Repeatedly tuning against a plain holdout overfits it; through Thresholdout its estimates stay
// within about T of the truth. The state is explicit (each answer draws from its own derived
// stream) so that a tuning study can keep it in its store and share it between workers.
#pragma once

#include <cstdint>
#include <optional>

#include "descent/core/rng.hpp"

namespace descent::tune {

// A Laplace(0, scale) draw by inversion.
double laplace(Rng& rng, double scale);

struct ThresholdoutSettings {
  double threshold = 0.04;
  double sigma = 0.01;
  int budget = 100;
  std::uint64_t seed = 0;
};

struct ThresholdoutState {
  int remaining_budget = 0;
  double noisy_threshold = 0.0;
  std::uint64_t answers = 0;
};

class Thresholdout {
public:
  explicit Thresholdout(const ThresholdoutSettings& settings);
  Thresholdout(const ThresholdoutSettings& settings, const ThresholdoutState& state) : settings_(settings), state_(state) {}
  // The answer for a statistic measured on the training data and on the holdout; nullopt once the
  // budget is spent (the holdout must not be consulted again).
  std::optional<double> answer(double training_value, double holdout_value);
  int remaining_budget() const { return state_.remaining_budget; }
  const ThresholdoutState& state() const { return state_; }

private:
  ThresholdoutSettings settings_;
  ThresholdoutState state_;
};

}  // namespace descent::tune
