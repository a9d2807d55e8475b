// `descent diagnose FILE --coord-check`: the coordinate check (diag/coordinate_check.hpp) on a
// study file's MLP: every hidden layer set to each width of a sweep, the file's first optimizer
// entry (at the model's per-layer rates under its [model] parameterization) trained a few steps on
// one fixed batch of its training data. Prints the slopes and writes
// runs/reports/<study>-coord-check/report.md and report.html (one log-log chart per layer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "descent/study/config.hpp"

namespace descent::study {

struct CoordinateCheckStudyOptions {
  std::vector<std::int64_t> widths = {128, 256, 512, 1024, 2048};
  std::int64_t steps = 3;
  std::int64_t seeds = 3;
  std::filesystem::path report_dir = "runs/reports";
  int threads = 1;
};

struct CoordinateCheckStudyResult {
  std::map<std::string, double> slopes;  // per traced layer and "output": log-log slope of the change after the last step
  std::filesystem::path report;
};

// Throws ConfigError when the model is not an MLP, the task is not classification, or a width is
// not positive. Under mup with no base_width, the smallest width of the sweep is the base.
CoordinateCheckStudyResult coordinate_check_study(const StudyConfig& config, const CoordinateCheckStudyOptions& options);

}  // namespace descent::study
