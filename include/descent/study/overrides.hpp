// Command-line overrides of config keys: `train.epochs=3`, `optimizers.0.lr=0.1` or
// `optimizers[0].lr=0.1`. Values are TOML values (numbers, booleans, arrays, quoted strings); a
// value that is not valid TOML is taken as a bare string, so `study.name=smoke` works.
#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

namespace descent::study {

struct Override {
  std::vector<std::string> path;  // table keys and array indices as text
  std::string raw_value;
};

// Throws ConfigError naming the argument when it is not of the form key.path=value.
Override parse_override(const std::string& argument);

// Sets the value in `root`, creating missing tables; throws ConfigError for an index out of range
// or a path through a non-table value.
void apply_override(toml::table& root, const Override& override_value);

}  // namespace descent::study
