#include "descent/batch/adaptive_batch.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "descent/optim/description.hpp"


namespace descent::batch {

GradientStatistics statistics_of(const std::vector<std::vector<double>>& per_sample) {
  GradientStatistics s;
  const std::size_t b = per_sample.size(), d = b ? per_sample[0].size() : 0;
  std::vector<double> mean(d, 0.0);
  for (const auto& g : per_sample) {
    for (std::size_t j = 0; j < d; ++j) mean[j] += g[j] / static_cast<double>(b);
  }
  for (const double m : mean) s.mean_norm_squared += m * m;
  for (const auto& g : per_sample) {
    double norm = 0.0, dot = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      norm += g[j] * g[j];
      dot += g[j] * mean[j];
    }
    s.norm_squared.push_back(norm);
    s.dot_mean.push_back(dot);
  }
  return s;
}

namespace {

void require_two_samples(const GradientStatistics& s) {
  if (s.samples() < 2) throw std::invalid_argument("batch-size tests need at least two per-sample gradients");
}

}  // namespace

double total_variance(const GradientStatistics& s) {
  require_two_samples(s);
  // sum_i ||g_i - g||^2 = sum_i ||g_i||^2 - b ||g||^2
  double sum = 0.0;
  for (const double n : s.norm_squared) sum += n;
  return (sum - static_cast<double>(s.samples()) * s.mean_norm_squared) / static_cast<double>(s.samples() - 1);
}

double inner_product_variance(const GradientStatistics& s) {
  require_two_samples(s);
  // The mean of <g_i, g> is ||g||^2.
  double sum = 0.0;
  for (const double dot : s.dot_mean) sum += (dot - s.mean_norm_squared) * (dot - s.mean_norm_squared);
  return sum / static_cast<double>(s.samples() - 1);
}

double orthogonal_variance(const GradientStatistics& s) {
  require_two_samples(s);
  // With c_i = <g_i, g> / ||g||^2 (mean 1): ||r_i - r_mean||^2 = ||g_i - g||^2 - (c_i - 1)^2 ||g||^2.
  double sum = 0.0;
  for (std::int64_t i = 0; i < s.samples(); ++i) {
    const double spread = s.norm_squared[i] - 2.0 * s.dot_mean[i] + s.mean_norm_squared;
    const double c = s.dot_mean[i] / s.mean_norm_squared;
    sum += spread - (c - 1.0) * (c - 1.0) * s.mean_norm_squared;
  }
  return sum / static_cast<double>(s.samples() - 1);
}

double raw_batch_size(const GradientStatistics& s, BatchTest test, double threshold, double orthogonality_threshold) {
  const double g2 = s.mean_norm_squared, t2 = threshold * threshold;
  switch (test) {
    case BatchTest::norm: return total_variance(s) / (t2 * g2);
    case BatchTest::inner_product: return inner_product_variance(s) / (t2 * g2 * g2);
    case BatchTest::orthogonality: return orthogonal_variance(s) / (t2 * g2);
    case BatchTest::augmented:
      return std::max(raw_batch_size(s, BatchTest::inner_product, threshold),
                      raw_batch_size(s, BatchTest::orthogonality, orthogonality_threshold));
  }
  return 1.0;
}

std::int64_t requested_batch_size(const GradientStatistics& s, BatchTest test, double threshold,
                                  double orthogonality_threshold) {
  const double raw = raw_batch_size(s, test, threshold, orthogonality_threshold);
  if (!std::isfinite(raw)) return INT64_MAX / 2;  // a zero mean gradient: ask for as much as allowed
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(raw)));
}

std::int64_t next_batch_size(std::int64_t current, std::int64_t requested, std::int64_t max_batch) {
  return std::min(max_batch, std::max(current, requested));
}

LrScaling resolve_scaling(LrScaling scaling, const optim::OptimizerDescription& optimizer) {
  if (scaling != LrScaling::automatic) return scaling;
  return optimizer.adaptive ? LrScaling::sqrt : LrScaling::linear;
}

double lr_scale(LrScaling rule, std::int64_t reference, std::int64_t batch) {
  const double ratio = static_cast<double>(batch) / static_cast<double>(reference);
  switch (rule) {
    case LrScaling::none: return 1.0;
    case LrScaling::linear: return ratio;
    case LrScaling::sqrt: return std::sqrt(ratio);
    case LrScaling::automatic: throw std::logic_error("lr_scale: resolve LrScaling::automatic by the optimizer first");
  }
  return 1.0;
}

std::int64_t regime_adapted_epochs(std::int64_t epochs, std::int64_t batch, std::int64_t reference) {
  return epochs * ((batch + reference - 1) / reference);
}

}  // namespace descent::batch
