// What the SQLite and PostgreSQL trial stores share: the study's identity check and the JSON of the
// search space and of Thresholdout's state.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "descent/core/error.hpp"
#include "descent/tune/search_space.hpp"
#include "descent/tune/thresholdout.hpp"
#include "descent/tune/trial.hpp"

namespace descent::tune {

inline std::string direction_name(Direction direction) { return direction == Direction::minimize ? "MINIMIZE" : "MAXIMIZE"; }

inline nlohmann::json search_space_json(const SearchSpace& space) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : space.parameters()) out.push_back({{"name", p.name}, {"distribution", p.distribution()}});
  return out;
}

// A study resumed with another direction or search space would mix incomparable trials.
inline void check_same_study(const std::string& location, const std::string& name, Direction direction,
                             const std::string& space_json, const std::string& stored_direction, const std::string& stored_space) {
  if (stored_direction != direction_name(direction)) {
    throw ConfigError(fmt::format("{}: tuning study '{}' was created to {} its objective; the study file now says {}", location,
                                  name, stored_direction, direction_name(direction)));
  }
  if (stored_space != space_json) {
    throw ConfigError(fmt::format("{}: tuning study '{}' was created with another search space; rename the study "
                                  "(study.name) to start a new one", location, name));
  }
}

inline std::string thresholdout_json(const ThresholdoutState& state) {
  return nlohmann::json{{"remaining_budget", state.remaining_budget}, {"noisy_threshold", state.noisy_threshold},
                        {"answers", state.answers}}.dump();
}

inline Thresholdout restore_thresholdout(const ThresholdoutSettings& settings, const std::string& json) {
  if (json.empty()) return Thresholdout(settings);
  const auto state = nlohmann::json::parse(json);
  return Thresholdout(settings, {state.at("remaining_budget").get<int>(), state.at("noisy_threshold").get<double>(),
                                 state.at("answers").get<std::uint64_t>()});
}

}  // namespace descent::tune
