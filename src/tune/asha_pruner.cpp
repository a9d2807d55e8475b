#include <algorithm>
#include <cmath>

#include "descent/tune/pruner.hpp"

namespace descent::tune {

std::vector<std::int64_t> AshaPruner::rungs(std::int64_t max_step) const {
  std::vector<std::int64_t> steps;
  double rung = static_cast<double>(min_resource_) * std::pow(reduction_factor_, rate_);
  while (rung <= static_cast<double>(max_step)) {
    steps.push_back(static_cast<std::int64_t>(rung));
    rung *= reduction_factor_;
  }
  return steps;
}

bool AshaPruner::should_prune(const Trial& trial, std::int64_t step, const std::vector<Trial>& trials, Direction direction) const {
  const auto here = trial.intermediate.find(step);
  if (here == trial.intermediate.end()) return false;
  if (!std::isfinite(here->second)) return true;
  const auto steps = rungs(step);
  if (steps.empty() || steps.back() != step) return false;  // not at a rung
  std::vector<double> competing = {minimized(here->second, direction)};
  for (const Trial& other : trials) {
    if (other.number == trial.number) continue;
    if (auto it = other.intermediate.find(step); it != other.intermediate.end() && std::isfinite(it->second)) {
      competing.push_back(minimized(it->second, direction));
    }
  }
  const std::size_t promoted = competing.size() / static_cast<std::size_t>(reduction_factor_);
  if (promoted == 0) return true;
  std::nth_element(competing.begin(), competing.begin() + static_cast<std::ptrdiff_t>(promoted - 1), competing.end());
  return minimized(here->second, direction) > competing[promoted - 1];
}

}  // namespace descent::tune
