// The report of a tuning study: the best trial, every trial's parameters and value, and three
// charts drawn as SVG (offline, no JavaScript): the optimization history with the best value so
// far, one slice per parameter (value against the objective), and parallel coordinates.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "descent/tune/search_space.hpp"
#include "descent/tune/trial.hpp"

namespace descent::tune {

struct TuneReportData {
  std::string study;
  std::string objective;
  Direction direction = Direction::minimize;
  SearchSpace space;
  std::vector<Trial> trials;
  std::string store;
};

// Writes report_dir/STUDY/tune.html and tune.md atomically; returns the HTML's path.
std::filesystem::path write_tune_report(const TuneReportData& data, const std::filesystem::path& report_dir);

std::string tune_markdown(const TuneReportData& data);

}  // namespace descent::tune
