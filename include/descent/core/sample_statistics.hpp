// The mean of a sample, its unbiased variance and the standard error of the mean: the summary
// every Monte Carlo check in tests and experiments reports.
#pragma once

#include <cmath>
#include <span>

namespace descent {

struct SampleMoments {
  double mean = 0.0, variance = 0.0, standard_error = 0.0;
};

inline SampleMoments sample_moments(std::span<const double> values) {
  SampleMoments m;
  const auto n = static_cast<double>(values.size());
  for (const double v : values) m.mean += v / n;
  if (values.size() < 2) return m;
  for (const double v : values) m.variance += (v - m.mean) * (v - m.mean) / (n - 1);
  m.standard_error = std::sqrt(m.variance / n);
  return m;
}

}  // namespace descent
