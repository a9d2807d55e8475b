// `descent repro NAME`: one experiment per seed-paper claim. An experiment states its claim and
// its pass thresholds before it runs, runs studies through the ordinary store (so an interrupted
// experiment resumes), then prints what it measured against those thresholds and writes a report.
// A claim that does not reproduce is reported as FAIL with the numbers: that is a finding.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "descent/report/svg_chart.hpp"

namespace descent::repro {

struct Check {
  std::string name;
  std::string measured;  // the numbers, in words
  bool pass = false;
};

struct Outcome {
  std::vector<Check> checks;
  std::string details_markdown;          // tables and notes for the report
  std::vector<report::ChartSpec> charts;  // drawn into report.html beside report.md
};

struct Context {
  std::filesystem::path store = "runs/descent.db";
  std::filesystem::path report_dir = "runs/reports";
  int threads = 1;
  bool progress = false;
};

struct Experiment {
  std::string name;
  std::string paper;
  std::string claim;
  std::string thresholds;  // printed before anything runs
  std::string cost;        // expected running time here
  std::function<Outcome(const Context&)> run;
};

const std::vector<Experiment>& experiments();

// Runs one experiment: prints claim and thresholds, runs, prints the checks, writes
// report_dir/repro-NAME/report.md. Returns true when every check passed.
bool run_experiment(const Experiment& experiment, const Context& context);

}  // namespace descent::repro
