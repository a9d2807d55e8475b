#include "descent/schedule/schedule.hpp"

#include "descent/core/named.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace descent::schedule {
namespace {

ParamSpec warmup() {
  return {"warmup_steps", ParamKind::integer, 0, 0, 1e12, false, "linear warmup from 0 over this many steps"};
}
ParamSpec final_factor() { return {"final", ParamKind::real, 0.0, 0.0, 1.0, false, "factor reached at the last step"}; }
ParamSpec gamma(double default_value) {
  return {"gamma", ParamKind::real, default_value, 0.0, 1.0, false, "decay factor"};
}

double cooldown(int shape, double q) {  // q in [0, 1]: progress through the cooldown
  switch (shape) {
    case 0: return 1.0 - q;                               // linear
    case 1: return 0.5 * (1.0 + std::cos(M_PI * q));      // cosine
    default: return 1.0 - std::sqrt(q);                   // 1 - sqrt
  }
}

// The factor of a non-join kind after warmup: `t` steps into a decay of `span` steps.
double decay(const ScheduleSpec& s, std::int64_t t, std::int64_t span) {
  const auto& p = s.params;
  const double progress = std::clamp(static_cast<double>(t) / static_cast<double>(std::max<std::int64_t>(span, 1)), 0.0, 1.0);
  if (s.kind == "constant") return 1.0;
  if (s.kind == "step") return std::pow(p.at("gamma"), static_cast<double>(t / static_cast<std::int64_t>(p.at("step_size"))));
  if (s.kind == "multistep") {
    const auto passed = std::count_if(s.milestones.begin(), s.milestones.end(), [&](std::int64_t m) { return m <= t; });
    return std::pow(p.at("gamma"), static_cast<double>(passed));
  }
  if (s.kind == "exponential") return std::pow(p.at("gamma"), static_cast<double>(t));
  const double final_value = p.count("final") ? p.at("final") : 0.0;
  if (s.kind == "linear") return 1.0 - (1.0 - final_value) * progress;
  if (s.kind == "cosine") {
    const double cycles = p.at("cycles");
    const double within = progress >= 1.0 ? 1.0 : std::fmod(progress * cycles, 1.0);
    return final_value + (1.0 - final_value) * 0.5 * (1.0 + std::cos(M_PI * within));
  }
  if (s.kind == "polynomial") return final_value + (1.0 - final_value) * std::pow(1.0 - progress, p.at("power"));
  if (s.kind == "wsd") {
    const double stable = 1.0 - p.at("decay_fraction");
    if (progress <= stable) return 1.0;
    const double q = (progress - stable) / (1.0 - stable);
    return final_value + (1.0 - final_value) * cooldown(static_cast<int>(p.at("cooldown")), q);
  }
  if (s.kind == "refined") {
    if (s.values.empty()) return 1.0;
    const double position = progress * static_cast<double>(s.values.size() - 1);
    const auto lower = static_cast<std::size_t>(std::floor(position));
    const std::size_t upper = std::min(lower + 1, s.values.size() - 1);
    return s.values[lower] + (position - static_cast<double>(lower)) * (s.values[upper] - s.values[lower]);
  }
  throw std::logic_error("unknown schedule kind " + s.kind);
}

double factor_of(const ScheduleSpec& s, std::int64_t step, std::int64_t total) {
  if (s.kind == "join") {
    // Part i covers [start_i, end_i); each sees its own steps from 0 and its own length.
    std::size_t part = 0;
    while (part < s.boundaries.size() && step >= s.boundaries[part]) ++part;
    const std::int64_t start = part == 0 ? 0 : s.boundaries[part - 1];
    const std::int64_t end = part < s.boundaries.size() ? s.boundaries[part] : total;
    return factor_of(s.parts.at(part), step - start, std::max<std::int64_t>(end - start, 1));
  }
  const auto warmup_steps = static_cast<std::int64_t>(s.params.count("warmup_steps") ? s.params.at("warmup_steps") : 0);
  if (step < warmup_steps) return static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  // The decay spans the steps after warmup; its last step (total - 1) reaches progress 1.
  return decay(s, step - warmup_steps, total - 1 - warmup_steps);
}

}  // namespace

const std::vector<ScheduleInfo>& catalog() {
  static const std::vector<ScheduleInfo> entries = {
      {"constant", "the base value at every step (after optional warmup)", {warmup()}},
      {"step", "multiply by gamma every step_size steps",
       {warmup(), {"step_size", ParamKind::integer, 1000, 1, 1e12, false, "steps between decays"}, gamma(0.1)}},
      {"multistep", "multiply by gamma at each of the steps in `milestones` (a list)", {warmup(), gamma(0.1)}},
      {"exponential", "multiply by gamma every step", {warmup(), gamma(0.999)}},
      {"linear", "linear decay to final x base at the last step (Defazio et al.: the optimal default)",
       {warmup(), final_factor()}},
      {"cosine", "half-cosine decay to final x base, restarted `cycles` times (SGDR)",
       {warmup(), final_factor(), {"cycles", ParamKind::integer, 1, 1, 1e6, false, "number of equal cosine cycles"}}},
      {"polynomial", "final + (1 - final)(1 - progress)^power",
       {warmup(), final_factor(), {"power", ParamKind::real, 2.0, 0.0, 100.0, true, "exponent"}}},
      {"wsd", "warmup-stable-decay: constant, then a cooldown over the last decay_fraction of the run",
       {warmup(), final_factor(),
        {"decay_fraction", ParamKind::real, 0.2, 0.0, 1.0, true, "fraction of the run spent in cooldown"},
        {"cooldown", ParamKind::choice, 0, 0, 2, false, "shape of the cooldown", {"linear", "cosine", "1-sqrt"}}}},
      {"refined", "refined from a previous run's gradient norms: `values` (or `file` from descent refine)",
       {warmup()}},
      {"join", "`parts` (schedule tables) joined at the steps in `boundaries`", {}},
  };
  return entries;
}

const ScheduleInfo* find_schedule(std::string_view name) { return find_by_name(catalog(), name); }

std::vector<std::string> schedule_names() { return names_of(catalog()); }

ScheduleSpec default_spec(const std::string& kind) {
  ScheduleSpec spec;
  spec.kind = kind;
  for (const auto& p : find_schedule(kind)->params) spec.params[p.name] = p.default_value;
  return spec;
}

Schedule::Schedule(ScheduleSpec spec_, std::int64_t total_steps_) : spec(std::move(spec_)), total_steps(total_steps_) {}

Schedule::Schedule(std::string kind, ParamValues params, std::int64_t total_steps_) : total_steps(total_steps_) {
  spec = default_spec(kind);
  for (const auto& [key, value] : params) spec.params[key] = value;
}

double Schedule::factor(std::int64_t step) const { return std::max(0.0, factor_of(spec, step, total_steps)); }

std::string check(const ScheduleSpec& spec, std::int64_t total_steps) {
  if (spec.kind == "join") {
    if (spec.parts.size() != spec.boundaries.size() + 1) {
      return fmt::format("join needs one more part than boundaries: {} parts, {} boundaries", spec.parts.size(),
                         spec.boundaries.size());
    }
    for (std::size_t i = 0; i < spec.boundaries.size(); ++i) {
      const std::int64_t previous = i == 0 ? 0 : spec.boundaries[i - 1];
      if (spec.boundaries[i] <= previous) return fmt::format("boundaries must increase from 1: {} after {}", spec.boundaries[i], previous);
    }
    for (const auto& part : spec.parts) {
      if (auto problem = check(part, total_steps); !problem.empty()) return problem;
    }
  }
  if (spec.kind == "multistep") {
    if (!std::is_sorted(spec.milestones.begin(), spec.milestones.end())) return "milestones must increase";
  }
  if (spec.kind == "refined") {
    if (spec.values.size() < 2) return "a refined schedule needs at least two values";
    for (const double v : spec.values) {
      if (!std::isfinite(v) || v < 0.0) return fmt::format("refined values must be finite and non-negative, got {}", v);
    }
  }
  return "";
}

}  // namespace descent::schedule
