// Reading one TOML table of a study file, key by key: each read checks the key's type and range,
// and any key present but never read is reported as unknown with the nearest known key. Every
// message starts with "FILE: key 'a.b'". Private to study/.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "descent/core/error.hpp"
#include "descent/core/fields.hpp"
#include "descent/core/param_spec.hpp"
#include "descent/core/text.hpp"

namespace descent::study {

inline std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "a list";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

class TableReader {
public:
  TableReader(const toml::table& table, std::string prefix, std::string source)
      : table_(table), prefix_(std::move(prefix)), source_(std::move(source)) {}

  std::string key_path(std::string_view key) const { return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key); }

  [[noreturn]] void fail(std::string_view key, const std::string& problem) const {
    throw ConfigError(fmt::format("{}: key '{}': {}", source_, key_path(key), problem));
  }

  const toml::node* take(std::string_view key) {
    known_.insert(std::string(key));
    return table_.get(key);
  }

  bool has(std::string_view key) const { return table_.contains(key); }

  std::string string(std::string_view key, std::string fallback, const std::vector<std::string>& choices = {}) {
    const toml::node* node = take(key);
    if (!node) return fallback;
    if (!node->is_string()) fail(key, fmt::format("expected a string, got {}", type_name(*node)));
    std::string value = **node->as_string();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end()) {
      fail(key, fmt::format("'{}' is not one of {}{}", value, text::join(choices, ", "), text::did_you_mean(value, choices)));
    }
    return value;
  }

  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max = INT64_MAX) {
    const toml::node* node = take(key);
    if (!node) return fallback;
    if (!node->is_integer()) fail(key, fmt::format("expected an integer, got {}", type_name(*node)));
    const std::int64_t value = **node->as_integer();
    if (value < min || value > max) {
      fail(key, max == INT64_MAX ? fmt::format("{} is out of range: must be >= {}", value, min)
                                 : fmt::format("{} is out of range: must be in [{}, {}]", value, min, max));
    }
    return value;
  }

  // A string naming one value of an enum.
  template <class E>
  E choice(std::string_view key, E fallback, const EnumNames<E>& names) {
    std::vector<std::string> choices;
    std::string fallback_name;
    for (const auto& [value, name] : names) {
      choices.push_back(name);
      if (value == fallback) fallback_name = name;
    }
    const std::string chosen = string(key, fallback_name, choices);
    for (const auto& [value, name] : names) {
      if (chosen == name) return value;
    }
    return fallback;
  }

  bool boolean(std::string_view key, bool fallback) {
    const toml::node* node = take(key);
    if (!node) return fallback;
    if (!node->is_boolean()) fail(key, fmt::format("expected true or false, got {}", type_name(*node)));
    return **node->as_boolean();
  }

  // A scalar described by a ParamSpec (optimizer hyperparameters, schedule parameters).
  double param(const ParamSpec& spec) {
    const toml::node* node = take(spec.name);
    if (!node) return spec.default_value;
    double value = 0.0;
    if (spec.kind == ParamKind::boolean) {
      if (!node->is_boolean()) fail(spec.name, fmt::format("expected true or false, got {}", type_name(*node)));
      return **node->as_boolean() ? 1.0 : 0.0;
    }
    if (spec.kind == ParamKind::choice) {
      if (!node->is_string()) fail(spec.name, fmt::format("expected a string, got {}", type_name(*node)));
      const std::string choice = **node->as_string();
      const auto it = std::find(spec.choices.begin(), spec.choices.end(), choice);
      if (it == spec.choices.end()) {
        fail(spec.name, fmt::format("'{}' is not one of {}{}", choice, text::join(spec.choices, ", "),
                                    text::did_you_mean(choice, spec.choices)));
      }
      return static_cast<double>(it - spec.choices.begin());
    }
    if (spec.kind == ParamKind::integer) {
      if (!node->is_integer()) fail(spec.name, fmt::format("expected an integer, got {}", type_name(*node)));
      value = static_cast<double>(**node->as_integer());
    } else {
      if (!node->is_number()) fail(spec.name, fmt::format("expected a number, got {}", type_name(*node)));
      value = node->is_integer() ? static_cast<double>(**node->as_integer()) : **node->as_floating_point();
    }
    const bool below = spec.min_exclusive ? value <= spec.min : value < spec.min;
    if (!std::isfinite(value) || below || value > spec.max) {
      fail(spec.name, fmt::format("{} is out of range: must be {}", value, describe_range(spec)));
    }
    return value;
  }

  std::vector<std::int64_t> integer_list(std::string_view key, std::vector<std::int64_t> fallback, std::int64_t min,
                                         bool allow_empty) {
    const toml::node* node = take(key);
    if (!node) return fallback;
    const toml::array* array = node->as_array();
    if (!array) fail(key, fmt::format("expected a list of integers, got {}", type_name(*node)));
    if (array->empty() && !allow_empty) fail(key, "the list is empty");
    std::vector<std::int64_t> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      if (!item.is_integer()) fail(key, fmt::format("entry {} is {}; expected an integer", i, type_name(item)));
      const std::int64_t value = **item.as_integer();
      if (value < min) fail(key, fmt::format("entry {} is {}; must be >= {}", i, value, min));
      values.push_back(value);
    }
    return values;
  }

  std::vector<double> positive_list(std::string_view key) {
    const toml::node* node = take(key);
    if (!node) return {};
    const toml::array* array = node->as_array();
    if (!array) fail(key, fmt::format("expected a list of numbers, got {}", type_name(*node)));
    std::vector<double> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      const std::optional<double> value = item.value<double>();
      if (!value) fail(key, fmt::format("entry {} is {}; expected a number", i, type_name(item)));
      if (!(*value > 0.0) || !std::isfinite(*value)) fail(key, fmt::format("entry {} is {}; must be positive", i, *value));
      values.push_back(*value);
    }
    return values;
  }

  const toml::table* table(std::string_view key) {
    const toml::node* node = take(key);
    if (!node) return nullptr;
    if (!node->is_table()) fail(key, fmt::format("expected a table [{}], got {}", key_path(key), type_name(*node)));
    return node->as_table();
  }

  // Any key present but never read is unknown: name it and suggest the nearest known one.
  void reject_unknown(const std::string& context = "") const {
    std::vector<std::string> candidates;
    for (const auto& known : known_) candidates.push_back(key_path(known));
    for (const auto& [key, node] : table_) {
      const std::string name(key.str());
      if (known_.count(name)) continue;
      throw ConfigError(fmt::format("{}: unknown key '{}'{}{}", source_, key_path(name), context,
                                    text::did_you_mean(key_path(name), candidates)));
    }
  }

private:
  const toml::table& table_;
  std::string prefix_;
  std::string source_;
  std::set<std::string> known_;
};


}  // namespace descent::study
