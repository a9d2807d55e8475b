// Thresholdout, the reusable holdout (Dwork, Feldman, Hardt, Pitassi, Reingold & Roth, "The
// reusable holdout: Preserving validity in adaptive data analysis", Science 2015; the theory is
// their STOC 2015 paper). A query's answer is the training-set value unless it differs from the
// holdout value by more than a noisy threshold; then it is the holdout value plus Laplace noise
// and one unit of the budget is spent:
//   T^ = T + Lap(2 sigma);  if |h - t| > T^ + Lap(4 sigma): answer h + Lap(sigma), redraw T^, budget -= 1;
//   else answer t.
// Repeatedly tuning against a plain holdout overfits it; through Thresholdout its estimates stay valid.
#pragma once

#include <cstdint>
#include <optional>

#include "descent/core/rng.hpp"

namespace descent::tune {

// A Laplace(0, scale) draw by inversion.
double laplace(Rng& rng, double scale);

class Thresholdout {
public:
  Thresholdout(double threshold, double sigma, int budget, std::uint64_t seed);
  // The answer for a statistic (e.g. an accuracy) measured on the training data and on the
  // holdout; nullopt once the budget is spent (the holdout must not be consulted again).
  std::optional<double> answer(double training_value, double holdout_value);
  int remaining_budget() const { return budget_; }

private:
  double threshold_, sigma_;
  int budget_;
  Rng rng_;
  double noisy_threshold_;
};

}  // namespace descent::tune
