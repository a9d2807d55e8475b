// `descent tune FILE`: the study file's [tune] section searched by a sampler (GP Bayesian
// optimization, random or grid), one training run per trial. Trials live in a trial store (SQLite
// beside the runs, or PostgreSQL), so that any number of worker processes can tune one study
// together and an interrupted study resumes. Each trial's run is stored like any other run, with
// the label "trial-N"; a pruned trial's run is recorded as stopped.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "descent/study/config.hpp"
#include "descent/tune/search_space.hpp"
#include "descent/tune/trial.hpp"

namespace descent::study {

struct TuneOptions {
  std::filesystem::path file;          // the study file, reread with each trial's overrides
  std::vector<std::string> overrides;  // the command line's, applied before the trial's
  std::int64_t threads = 0;            // 0: the file's
  std::filesystem::path store_path = "runs/descent.db";
  std::filesystem::path report_dir = "runs/reports";
  std::string trial_store;             // empty: the run store's file; or postgresql://...
  bool progress = true;
};

struct TuneOutcome {
  int ran = 0, complete = 0, pruned = 0, failed = 0, reused = 0;
  bool interrupted = false;
  bool holdout_spent = false;  // Thresholdout's budget ran out
  std::optional<tune::Trial> best;
  std::filesystem::path report;
};

tune::SearchSpace search_space(const tune::TuneOptions& options);

TuneOutcome run_tune(const StudyConfig& config, const TuneOptions& options);

}  // namespace descent::study
