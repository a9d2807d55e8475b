#include <algorithm>
#include <cmath>

#include "descent/tune/acquisition.hpp"
#include "descent/tune/maximize.hpp"
#include "descent/tune/search_space.hpp"

namespace descent::tune {

double normal_quantile(double p) {
  // Acklam's approximation (relative error 1.15e-9), then one Newton step on erfc.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

std::vector<double> maximize_acquisition(const Acquisition& acquisition, int dimension, std::uint64_t seed, int starts,
                                         const std::vector<std::vector<double>>& extra_starts) {
  const Objective objective = [&acquisition](const std::vector<double>& x, std::vector<double>& gradient) {
    return acquisition.evaluate(x, &gradient);
  };
  const std::vector<double> lower(static_cast<std::size_t>(dimension), 0.0), upper(static_cast<std::size_t>(dimension), 1.0);
  // Score many quasi-random points cheaply, then climb from the best few and the extra starts.
  const Halton halton(dimension, seed);
  std::vector<std::pair<double, std::vector<double>>> scored;
  for (int i = 0; i < 20 * starts; ++i) {
    std::vector<double> x = halton.point(static_cast<std::uint64_t>(i));
    scored.emplace_back(acquisition.evaluate(x, nullptr), std::move(x));
  }
  std::partial_sort(scored.begin(), scored.begin() + std::min<std::ptrdiff_t>(starts, static_cast<std::ptrdiff_t>(scored.size())),
                    scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::vector<double>> from = extra_starts;
  for (int i = 0; i < starts && i < static_cast<int>(scored.size()); ++i) from.push_back(scored[static_cast<std::size_t>(i)].second);
  std::vector<double> best = from.front();
  double best_value = -INFINITY;
  for (const auto& start : from) {
    const MaximizeResult result = maximize_in_box(objective, start, lower, upper, 50, 1e-9);
    if (result.value > best_value) best_value = result.value, best = result.x;
  }
  return best;
}

}  // namespace descent::tune
