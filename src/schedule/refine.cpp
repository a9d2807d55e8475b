#include "descent/schedule/refine.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace descent::schedule {

std::vector<double> median_filter(const std::vector<double>& x, int size, FilterMode mode) {
  if (size < 1 || size % 2 == 0) throw std::invalid_argument("median_filter: size must be odd and positive");
  const auto n = static_cast<std::int64_t>(x.size());
  const std::int64_t half = size / 2;
  auto at = [&](std::int64_t i) {
    if (n == 0) return 0.0;
    if (mode == FilterMode::nearest) return x[static_cast<std::size_t>(std::clamp<std::int64_t>(i, 0, n - 1))];
    // scipy 'reflect' (half-sample symmetric), period 2n.
    std::int64_t j = i % (2 * n);
    if (j < 0) j += 2 * n;
    return x[static_cast<std::size_t>(j < n ? j : 2 * n - 1 - j)];
  };
  std::vector<double> out(x.size()), window(static_cast<std::size_t>(size));
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = -half; k <= half; ++k) window[static_cast<std::size_t>(k + half)] = at(i + k);
    std::nth_element(window.begin(), window.begin() + half, window.end());
    out[static_cast<std::size_t>(i)] = window[static_cast<std::size_t>(half)];
  }
  return out;
}

std::vector<double> pad_end_reflect(const std::vector<double>& x, std::size_t count) {
  std::vector<double> out = x;
  if (x.size() < 2) {
    out.insert(out.end(), count, x.empty() ? 0.0 : x[0]);
    return out;
  }
  // numpy repeats the reflection as often as needed: period 2(n - 1), edges not repeated.
  const std::size_t n = x.size(), period = 2 * (n - 1);
  for (std::size_t k = 1; k <= count; ++k) {
    const std::size_t j = (n - 1 + k) % period;
    out.push_back(x[j < n ? j : period - j]);
  }
  return out;
}

std::vector<double> resample(const std::vector<double>& x, std::size_t points) {
  if (x.empty() || points == 0) return {};
  if (x.size() == 1) return std::vector<double>(points, x[0]);
  std::vector<double> out(points);
  for (std::size_t i = 0; i < points; ++i) {
    const double position = points == 1 ? 0.0 : static_cast<double>(i) * static_cast<double>(x.size() - 1) / static_cast<double>(points - 1);
    const auto lower = static_cast<std::size_t>(std::floor(position));
    const std::size_t upper = std::min(lower + 1, x.size() - 1);
    out[i] = x[lower] + (position - static_cast<double>(lower)) * (x[upper] - x[lower]);
  }
  return out;
}

std::vector<double> closed_form_schedule(const std::vector<double>& norms, NormKind kind) {
  const std::size_t T = norms.size();
  std::vector<double> weights(T);
  for (std::size_t t = 0; t < T; ++t) {
    if (!(norms[t] > 0.0) || !std::isfinite(norms[t])) throw std::invalid_argument("gradient norms must be finite and positive");
    weights[t] = kind == NormKind::l2 ? 1.0 / (norms[t] * norms[t]) : 1.0 / norms[t];
  }
  double total = 0.0;
  for (const double w : weights) total += w;
  std::vector<double> schedule(T, 0.0);
  double tail = 0.0;  // sum_{p > t} w_p
  for (std::size_t t = T; t-- > 0;) {
    schedule[t] = weights[t] * tail / total;
    tail += weights[t];
  }
  const double peak = *std::max_element(schedule.begin(), schedule.end());
  if (peak > 0.0) {
    for (auto& s : schedule) s /= peak;
  }
  return schedule;
}

std::vector<double> refine(const std::vector<double>& gradient_norms, const RefineOptions& options) {
  if (gradient_norms.size() < 2) throw std::invalid_argument("refine needs a trace of at least two gradient norms");
  std::vector<double> trace = gradient_norms;
  if (options.smooth) {
    const std::size_t n_vals = options.grid;
    if (trace.size() < n_vals) trace = resample(trace, n_vals);
    const int width = 2 * static_cast<int>(0.1 * static_cast<double>(n_vals) / 2.0) + 1;
    const std::size_t pad = 2 * static_cast<std::size_t>(width);
    std::vector<double> filtered = median_filter(pad_end_reflect(trace, pad), width, FilterMode::nearest);
    filtered.resize(filtered.size() - pad);
    trace = std::move(filtered);
  }
  return closed_form_schedule(resample(trace, options.grid), options.norm);
}

}  // namespace descent::schedule
