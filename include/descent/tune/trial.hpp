// A tuning trial in Optuna's vocabulary: a number, a state (RUNNING, COMPLETE, PRUNED, FAIL), the
// parameters (internal representation), the objective value and the intermediate values reported
// along the way (step -> value).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "descent/tune/kinds.hpp"
#include "descent/tune/search_space.hpp"

namespace descent::tune {

enum class TrialState { running, complete, pruned, fail };

std::string state_name(TrialState state);  // "RUNNING", "COMPLETE", "PRUNED", "FAIL"
TrialState parse_state(const std::string& name);

struct Trial {
  std::int64_t number = 0;
  TrialState state = TrialState::running;
  Point params;
  std::optional<double> value;
  std::map<std::int64_t, double> intermediate;
};

// v as a quantity to minimize.
inline double minimized(double v, Direction direction) { return direction == Direction::minimize ? v : -v; }

}  // namespace descent::tune
