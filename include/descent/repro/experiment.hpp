// `descent repro NAME`: one experiment per seed-paper claim. An experiment declares its claim and
// its pass criteria before it runs, runs studies through the ordinary store (so an interrupted
// experiment resumes), then prints what it measured against those criteria and writes a report.
// A claim that does not reproduce is reported as FAIL with the numbers: that is a finding.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "descent/report/svg_chart.hpp"

namespace descent::repro {

// One pass condition, declared before anything runs. An experiment formats `threshold` from the
// same constants its comparison uses, so each number is written once and printed from there.
struct Criterion {
  std::string name;       // what is checked; tests/golden/ keys the expected verdicts by it
  std::string threshold;  // the condition for PASS, with its numbers
};

struct Check {
  std::string name;      // the criterion's name
  std::string measured;  // the numbers, in words
  bool pass = false;
};

struct Outcome {
  std::vector<Check> checks;
  std::string details_markdown;          // tables and notes for the report
  std::vector<report::ChartSpec> charts;  // drawn into report.html beside report.md

  // The verdict on one declared criterion; every criterion gets exactly one.
  void record(const Criterion& criterion, std::string measured, bool pass);
};

// How long an experiment takes here: `fast` ones (a minute at most) run in the test suite and
// keep golden verdicts; `full` ones train for minutes.
enum class Budget { fast, full };

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
  std::vector<Criterion> criteria;  // printed before anything runs
  std::string cost;                 // expected running time here
  Budget budget = Budget::full;
  std::function<Outcome(const Context&)> run;
};

const std::vector<Experiment>& experiments();

// What one experiment ended with: its checks, or the error that stopped it.
struct Verdict {
  std::string experiment;
  std::vector<Check> checks;
  std::string error;  // non-empty when the experiment could not finish
  double seconds = 0.0;
  std::filesystem::path report;  // report.md

  bool passed() const;
};

// Runs one experiment: prints claim and criteria, runs, prints the checks, writes
// report_dir/repro-NAME/report.md (and report.html). Throws when the experiment cannot finish, or
// when its checks do not answer its declared criteria one for one.
Verdict run_experiment(const Experiment& experiment, const Context& context);

// Runs every experiment within `budget` (fast: the fast ones; full: all), continuing past FAILs
// and errors, then writes report_dir/repro-summary/ (index.html, summary.md, summary.json): paper,
// claim, the verdict of each check, time taken, and a link to each report.
std::vector<Verdict> run_all(Budget budget, const Context& context);

}  // namespace descent::repro
