// Lookups over catalogs of entries that have a `name` (optimizers, schedules, models, datasets).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace descent {

template <class Entry>
const Entry* find_by_name(const std::vector<Entry>& entries, std::string_view name) {
  for (const auto& entry : entries) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

template <class Entry>
std::vector<std::string> names_of(const std::vector<Entry>& entries) {
  std::vector<std::string> names;
  for (const auto& entry : entries) names.push_back(entry.name);
  return names;
}

}  // namespace descent
