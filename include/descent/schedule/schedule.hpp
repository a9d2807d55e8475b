// Schedules as pure functions of the step: factor(t) multiplies a configured value (the peak
// learning rate, a weight decay, a batch size). Pure functions make resuming exact: step t always
// sees the same value. Kinds compose with `join` (parts, each on its own span of steps) and every
// kind takes a linear warmup.
//   constant   1
//   step       gamma^floor(t / step_size)
//   multistep  gamma^(number of milestones <= t)
//   exponential gamma^t
//   linear     1 - (1 - final) p                          (p = progress in [0, 1])
//   cosine     final + (1 - final)(1 + cos(pi p_c))/2     (p_c within each of `cycles` restarts)
//   polynomial final + (1 - final)(1 - p)^power
//   wsd        1 until the last decay_fraction of the run, then a linear, cosine or 1-sqrt cooldown
//              to final (warmup-stable-decay; Hu et al. 2024, Hägele et al. 2024)
//   refined    a schedule refined from a previous run's gradient norms (schedule/refine.hpp),
//              stored as values on a grid and interpolated to the run's length
//   join       parts[i] from boundaries[i-1] to boundaries[i] (boundaries increasing)
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

// What a config says: a kind with its parameters, and for the kinds that need them, lists.
struct ScheduleSpec {
  std::string kind = "constant";
  ParamValues params;                      // every parameter of the kind (defaults filled)
  std::vector<std::int64_t> milestones;    // multistep
  std::vector<std::int64_t> boundaries;    // join
  std::vector<ScheduleSpec> parts;         // join
  std::vector<double> values;              // refined: factors on an even grid over the run
};

// A resolved schedule: a spec and the length of the run it spans.
struct Schedule {
  ScheduleSpec spec;
  std::int64_t total_steps = 1;

  Schedule() = default;
  Schedule(ScheduleSpec spec_, std::int64_t total_steps_);
  // Convenience for a kind with parameters only.
  Schedule(std::string kind, ParamValues params, std::int64_t total_steps_);

  // The multiplier at `step` (0-based); finite and never negative.
  double factor(std::int64_t step) const;
};

// Checks a spec's invariants for a run of `total_steps`; returns "" or what is wrong.
std::string check(const ScheduleSpec& spec, std::int64_t total_steps);

// A spec of `kind` with every parameter at its default.
ScheduleSpec default_spec(const std::string& kind);

}  // namespace descent::schedule
