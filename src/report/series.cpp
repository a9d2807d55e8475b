#include "descent/report/series.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace descent::report {

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(position));
  const std::size_t upper = std::min(lower + 1, values.size() - 1);
  const double weight = position - static_cast<double>(lower);
  // Equal neighbours need no interpolation; with infinities it would give inf - inf = NaN.
  if (weight == 0.0 || values[upper] == values[lower]) return values[lower];
  return values[lower] + weight * (values[upper] - values[lower]);
}

void BandSeries::add_spread(double step, const std::vector<double>& values) {
  if (values.empty()) return;
  steps.push_back(step);
  median.push_back(quantile(values, 0.5));
  q1.push_back(quantile(values, 0.25));
  q3.push_back(quantile(values, 0.75));
  count.push_back(static_cast<int>(values.size()));
}

namespace {

// Ranks 1..n, ties sharing the mean of the ranks they span.
std::vector<double> average_ranks(std::span<const double> values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start;
    while (end + 1 < order.size() && values[order[end + 1]] == values[order[start]]) ++end;
    const double shared = (static_cast<double>(start) + static_cast<double>(end)) / 2.0 + 1.0;
    for (std::size_t i = start; i <= end; ++i) ranks[order[i]] = shared;
    start = end + 1;
  }
  return ranks;
}

double pearson(std::span<const double> a, std::span<const double> b) {
  const double n = static_cast<double>(a.size());
  const double mean_a = std::accumulate(a.begin(), a.end(), 0.0) / n, mean_b = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - mean_a) * (b[i] - mean_b);
    aa += (a[i] - mean_a) * (a[i] - mean_a);
    bb += (b[i] - mean_b) * (b[i] - mean_b);
  }
  return ab / std::sqrt(aa * bb);
}

}  // namespace

double rank_correlation(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size() || a.size() < 2) return NAN;
  const auto ranks_a = average_ranks(a), ranks_b = average_ranks(b);
  return pearson(ranks_a, ranks_b);
}

BandSeries aggregate(std::span<const std::vector<MetricRow>> runs, const std::string& name) {
  std::map<std::int64_t, std::vector<double>> by_step;
  for (const auto& rows : runs) {
    for (const auto& row : rows) {
      if (row.name == name) by_step[row.step].push_back(row.value);
    }
  }
  BandSeries band;
  for (const auto& [step, values] : by_step) {
    band.steps.push_back(static_cast<double>(step));
    band.median.push_back(quantile(values, 0.5));
    band.q1.push_back(quantile(values, 0.25));
    band.q3.push_back(quantile(values, 0.75));
    band.count.push_back(static_cast<int>(values.size()));
  }
  return band;
}

}  // namespace descent::report
