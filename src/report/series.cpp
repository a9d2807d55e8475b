#include "descent/report/series.hpp"

#include <algorithm>
#include <cmath>
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
