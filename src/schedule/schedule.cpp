#include "descent/schedule/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace descent::schedule {
namespace {

ParamSpec warmup() {
  return {"warmup_steps", ParamKind::integer, 0, 0, 1e12, false, "linear warmup from 0 over this many steps"};
}
ParamSpec final_factor() {
  return {"final", ParamKind::real, 0.0, 0.0, 1.0, false, "factor reached at the last step"};
}

// The decay part after warmup, as a function of progress p in [0, 1].
double decay(const Schedule& s, std::int64_t step, double progress) {
  if (s.kind == "constant") return 1.0;
  if (s.kind == "linear") return 1.0 - (1.0 - s.params.at("final")) * progress;
  if (s.kind == "cosine") {
    const double final_value = s.params.at("final");
    return final_value + (1.0 - final_value) * 0.5 * (1.0 + std::cos(M_PI * progress));
  }
  if (s.kind == "step") {
    const auto every = static_cast<std::int64_t>(s.params.at("step_size"));
    return std::pow(s.params.at("gamma"), static_cast<double>(step / every));
  }
  throw std::logic_error("unknown schedule kind " + s.kind);
}

}  // namespace

const std::vector<ScheduleInfo>& catalog() {
  static const std::vector<ScheduleInfo> entries = {
      {"constant", "the base rate at every step (after optional warmup)", {warmup()}},
      {"linear", "linear decay from the base rate to final x base rate at the last step", {warmup(), final_factor()}},
      {"cosine", "half-cosine decay from the base rate to final x base rate", {warmup(), final_factor()}},
      {"step",
       "multiply by gamma every step_size steps",
       {warmup(), {"step_size", ParamKind::integer, 1000, 1, 1e12, false, "steps between decays"},
        {"gamma", ParamKind::real, 0.1, 0.0, 1.0, false, "decay factor"}}},
  };
  return entries;
}

const ScheduleInfo* find_schedule(std::string_view name) {
  for (const auto& info : catalog()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::vector<std::string> schedule_names() {
  std::vector<std::string> names;
  for (const auto& info : catalog()) names.push_back(info.name);
  return names;
}

double Schedule::factor(std::int64_t step) const {
  const auto warmup_steps = static_cast<std::int64_t>(params.count("warmup_steps") ? params.at("warmup_steps") : 0);
  if (step < warmup_steps) return static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const std::int64_t decay_steps = std::max<std::int64_t>(1, total_steps - warmup_steps);
  const double progress = std::clamp(static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps), 0.0, 1.0);
  return std::max(0.0, decay(*this, step - warmup_steps, progress));
}

}  // namespace descent::schedule
