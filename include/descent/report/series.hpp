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

struct BandSeries {
  std::vector<double> steps;
  std::vector<double> median;
  std::vector<double> q1;
  std::vector<double> q3;
  std::vector<int> count;  // runs that have a value at this step
};

// For metric `name`, one band over the given runs' metric rows.
BandSeries aggregate(std::span<const std::vector<MetricRow>> runs, const std::string& name);

}  // namespace descent::report
