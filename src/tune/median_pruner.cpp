#include <algorithm>
#include <cmath>

#include "descent/tune/pruner.hpp"

namespace descent::tune {

bool MedianPruner::should_prune(const Trial& trial, std::int64_t step, const std::vector<Trial>& trials,
                                Direction direction) const {
  if (step < warmup_steps_) return false;
  std::vector<double> others;
  int finished = 0;
  for (const Trial& other : trials) {
    if (other.number == trial.number || (other.state != TrialState::complete && other.state != TrialState::pruned)) continue;
    ++finished;
    if (auto it = other.intermediate.find(step); it != other.intermediate.end() && std::isfinite(it->second)) {
      others.push_back(minimized(it->second, direction));
    }
  }
  if (finished < startup_trials_ || others.empty()) return false;
  double best = INFINITY;
  for (const auto& [at, value] : trial.intermediate) {
    if (at <= step) best = std::min(best, minimized(value, direction));
  }
  if (!std::isfinite(best)) return true;  // NaN or diverged so far
  const std::size_t n = others.size();
  std::nth_element(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(n / 2), others.end());
  double median = others[n / 2];
  if (n % 2 == 0) {
    median = 0.5 * (median + *std::max_element(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(n / 2)));
  }
  return best > median;
}

}  // namespace descent::tune
