#include "descent/diag/example_losses.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace descent::diag {

std::optional<LossSpike> ExampleLossTracker::observe(const std::vector<double>& losses) {
  const double previous_mean = mean_;
  mean_ = losses.empty() ? 0.0 : std::accumulate(losses.begin(), losses.end(), 0.0) / static_cast<double>(losses.size());
  const bool first = previous_.size() != losses.size();
  std::optional<LossSpike> spike;
  if (!first && mean_ > previous_mean * (1.0 + threshold_)) {
    std::vector<std::int64_t> order(losses.size());
    std::iota(order.begin(), order.end(), 0);
    const auto change = [&](std::int64_t i) { return losses[static_cast<std::size_t>(i)] - previous_[static_cast<std::size_t>(i)]; };
    const auto top = std::min<std::size_t>(static_cast<std::size_t>(top_), order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(), [&](std::int64_t a, std::int64_t b) {
      const double ca = std::abs(change(a)), cb = std::abs(change(b));
      return ca > cb || (ca == cb && a < b);
    });
    LossSpike found;
    found.increase = mean_ - previous_mean;
    for (std::size_t r = 0; r < top; ++r) {
      const double c = change(order[r]);
      found.examples.push_back(order[r]);
      found.changes.push_back(c);
      if (c > 0) ++found.rose, found.rose_mean += c;
      if (c < 0) ++found.fell, found.fell_mean += c;
    }
    if (found.rose > 0) found.rose_mean /= found.rose;
    if (found.fell > 0) found.fell_mean /= found.fell;
    spike = std::move(found);
  }
  previous_ = losses;
  return spike;
}

}  // namespace descent::diag
