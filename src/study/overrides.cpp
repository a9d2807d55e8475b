#include "descent/study/overrides.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "descent/core/error.hpp"

namespace descent::study {
namespace {

bool is_index(const std::string& segment) {
  return !segment.empty() && std::all_of(segment.begin(), segment.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "optimizers[0].lr" -> {"optimizers", "0", "lr"}
std::vector<std::string> split_path(const std::string& key, const std::string& argument) {
  std::vector<std::string> segments;
  std::string current;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    if (c == '.' || c == '[' || c == ']') {
      if (!current.empty()) segments.push_back(current);
      current.clear();
      if (c == ']' && i + 1 < key.size() && key[i + 1] != '.' && key[i + 1] != '[') {
        throw ConfigError(fmt::format("override '{}': expected '.' after ']'", argument));
      }
    } else {
      current += c;
    }
  }
  if (!current.empty()) segments.push_back(current);
  if (segments.empty()) throw ConfigError(fmt::format("override '{}': empty key", argument));
  return segments;
}

// Calls `use` with the override's value as a concrete TOML node (value<T>, array or table).
template <class Use>
void with_parsed_value(const std::string& raw, Use&& use) {
  try {
    const toml::table holder = toml::parse("value = " + raw);
    holder.get("value")->visit([&](const auto& node) { use(node); });
    return;
  } catch (const toml::parse_error&) {
    // Not a TOML value: a bare string.
  }
  use(toml::value<std::string>(raw));
}

}  // namespace

Override parse_override(const std::string& argument) {
  const auto equals = argument.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw ConfigError(fmt::format("override '{}': expected key.path=value", argument));
  }
  return {split_path(argument.substr(0, equals), argument), argument.substr(equals + 1)};
}

void apply_override(toml::table& root, const Override& override_value) {
  const auto& path = override_value.path;
  std::string parent, where;
  toml::node* node = &root;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::string& segment = path[i];
    const bool last = i + 1 == path.size();
    parent = where;
    where += (where.empty() ? "" : ".") + segment;
    if (auto* table = node->as_table()) {
      if (last) {
        with_parsed_value(override_value.raw_value, [&](const auto& value) { table->insert_or_assign(segment, value); });
        return;
      }
      if (!table->contains(segment)) table->insert(segment, toml::table{});
      node = table->get(segment);
    } else if (auto* array = node->as_array()) {
      if (!is_index(segment)) throw ConfigError(fmt::format("override key '{}': '{}' is a list; expected an index", where, parent));
      std::size_t index = 0;
      const auto [end, error] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
      if (error != std::errc() || end != segment.data() + segment.size() || index >= array->size()) {
        // A number too large for any index is out of range too.
        throw ConfigError(fmt::format("override key '{}': index {} is out of range (the list has {} entries)", where,
                                      segment, array->size()));
      }
      if (last) {
        with_parsed_value(override_value.raw_value, [&](const auto& value) {
          array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index), value);
        });
        return;
      }
      node = array->get(index);
    } else {
      throw ConfigError(fmt::format("override key '{}': '{}' is a value, not a table", where, parent));
    }
  }
}

}  // namespace descent::study
