// A named scalar hyperparameter with its default and valid range: what config validation checks,
// what `descent list` prints, and what factories read.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

namespace descent {

enum class ParamKind { real, integer, boolean, choice };

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::real;
  double default_value = 0.0;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;  // (min, max] instead of [min, max]
  std::string doc;
  std::vector<std::string> choices;  // ParamKind::choice: the names; the value is the index
};

// Resolved values, one per ParamSpec of the entry (booleans as 0 or 1).
using ParamValues = std::map<std::string, double>;

// "[0, 1)"-style description of the valid range, for error messages and listings.
std::string describe_range(const ParamSpec& spec);
// Whether `value` is finite and inside the spec's range.
bool in_range(const ParamSpec& spec, double value);

}  // namespace descent
