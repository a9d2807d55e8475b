// The mean of a sample, its unbiased variance and the standard error of the mean: the summary
// every Monte Carlo check in tests and experiments reports. For the few-seed comparisons of
// reinforcement learning, the interquartile mean and a percentile-bootstrap interval (Agarwal,
// Schwarzer, Castro, Courville & Bellemare, "Deep RL at the Edge of the Statistical Precipice",
// NeurIPS 2021: robust to an outlying seed, and more efficient than the median).
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <span>
#include <stdexcept>
#include <vector>

#include "descent/core/rng.hpp"

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

// The mean of the middle half: floor(n / 4) values trimmed from each end of the sorted sample
// (scipy.stats.trim_mean(x, 0.25), which rliable's IQM calls). Throws on an empty sample.
inline double interquartile_mean(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("interquartile_mean of an empty sample");
  std::sort(values.begin(), values.end());
  const std::size_t trim = values.size() / 4;
  double sum = 0.0;
  for (std::size_t i = trim; i < values.size() - trim; ++i) sum += values[i];
  return sum / static_cast<double>(values.size() - 2 * trim);
}

struct Interval {
  double low = 0.0, high = 0.0;
};

// The percentile bootstrap interval of `statistic` at `confidence`: the statistic of `resamples`
// samples drawn with replacement from `values`, and their (1 - confidence) / 2 and
// (1 + confidence) / 2 quantiles (order statistics, nearest rank).
inline Interval bootstrap_interval(const std::vector<double>& values, const std::function<double(std::vector<double>)>& statistic,
                                   std::int64_t resamples, double confidence, Rng& rng) {
  if (values.empty() || resamples < 1) throw std::invalid_argument("bootstrap_interval needs values and resamples");
  std::vector<double> estimates;
  std::vector<double> resample(values.size());
  for (std::int64_t r = 0; r < resamples; ++r) {
    for (double& v : resample) v = values[rng.below(values.size())];
    estimates.push_back(statistic(resample));
  }
  std::sort(estimates.begin(), estimates.end());
  auto quantile = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(estimates.size())));
    return estimates[std::clamp<std::size_t>(rank, 1, estimates.size()) - 1];
  };
  return {quantile((1.0 - confidence) / 2.0), quantile((1.0 + confidence) / 2.0)};
}

}  // namespace descent
