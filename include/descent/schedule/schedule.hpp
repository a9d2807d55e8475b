// Learning-rate schedules as pure functions of the step: factor(step) multiplies the optimizer's
// base rate. Pure functions make resuming exact: step t always sees the same value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "descent/core/param_spec.hpp"

namespace descent::schedule {

struct ScheduleInfo {
  std::string name;
  std::string summary;
  std::vector<ParamSpec> params;
};

const std::vector<ScheduleInfo>& catalog();
const ScheduleInfo* find_schedule(std::string_view name);
std::vector<std::string> schedule_names();

// A resolved schedule: a kind from the catalog, its parameter values, and the run's length.
struct Schedule {
  std::string kind = "constant";
  ParamValues params;
  std::int64_t total_steps = 1;

  // The multiplier of the base learning rate at `step` (0-based); never negative.
  double factor(std::int64_t step) const;
};

}  // namespace descent::schedule
