#include "descent/core/param_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace descent {

std::string describe_range(const ParamSpec& spec) {
  if (spec.kind == ParamKind::boolean) return "true or false";
  if (spec.kind == ParamKind::choice) return fmt::format("one of {}", fmt::join(spec.choices, ", "));
  auto bound = [&](double value) {
    return spec.kind == ParamKind::integer ? fmt::format("{}", static_cast<long long>(value)) : fmt::format("{}", value);
  };
  const bool has_min = spec.min > -std::numeric_limits<double>::infinity();
  const bool has_max = spec.max < std::numeric_limits<double>::infinity();
  if (has_min && has_max) return fmt::format("{}{}, {}]", spec.min_exclusive ? "(" : "[", bound(spec.min), bound(spec.max));
  if (has_min) return fmt::format("{} {}", spec.min_exclusive ? ">" : ">=", bound(spec.min));
  if (has_max) return fmt::format("<= {}", bound(spec.max));
  return "any number";
}

bool in_range(const ParamSpec& spec, double value) {
  const bool below = spec.min_exclusive ? value <= spec.min : value < spec.min;
  return std::isfinite(value) && !below && value <= spec.max;
}

}  // namespace descent
