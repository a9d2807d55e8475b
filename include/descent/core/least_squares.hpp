// The slope of the least-squares line through points (xs[k], ys[k]): scaling exponents from
// log-log data (experiments, the coordinate check).
#pragma once

#include <cstddef>
#include <vector>

namespace descent {

inline double least_squares_slope(const std::vector<double>& xs, const std::vector<double>& ys) {
  const double n = static_cast<double>(xs.size());
  double mx = 0, my = 0;
  for (std::size_t k = 0; k < xs.size(); ++k) mx += xs[k] / n, my += ys[k] / n;
  double sxy = 0, sxx = 0;
  for (std::size_t k = 0; k < xs.size(); ++k) sxy += (xs[k] - mx) * (ys[k] - my), sxx += (xs[k] - mx) * (xs[k] - mx);
  return sxy / sxx;
}

}  // namespace descent
