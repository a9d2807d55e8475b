// Aggregation over seeds: at each step, the median and interquartile range of a metric across the
// runs of one optimizer entry.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "descent/core/metrics.hpp"

namespace descent::report {

// The q-quantile (0..1) with linear interpolation between order statistics (numpy's default).
double quantile(std::vector<double> values, double q);

// Spearman's rank correlation (ties get average ranks, as scipy.stats.spearmanr). NaN for fewer
// than two pairs, unequal lengths, or a constant sequence.
double rank_correlation(std::span<const double> a, std::span<const double> b);

struct BandSeries {
  std::vector<double> steps;
  std::vector<double> median;
  std::vector<double> q1;
  std::vector<double> q3;
  std::vector<int> count;  // runs that have a value at this step

  // Appends the median and quartiles of `values` (one per run) at `step`; nothing when empty.
  void add_spread(double step, const std::vector<double>& values);

  // Appends one point of a single line (no spread: the band collapses onto it).
  void add(double step, double value) {
    steps.push_back(step);
    median.push_back(value);
    q1.push_back(value);
    q3.push_back(value);
    count.push_back(1);
  }
};

// For metric `name`, one band over the given runs' metric rows.
BandSeries aggregate(std::span<const std::vector<MetricRow>> runs, const std::string& name);

}  // namespace descent::report
