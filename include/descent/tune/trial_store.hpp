// Where tuning trials live, in Optuna's vocabulary (trials with RUNNING/COMPLETE/PRUNED/FAIL,
// parameters with their distributions, intermediate values). Several worker processes, on one
// machine (SQLite) or on several (PostgreSQL), share one study: proposing a trial and recording it
// happen in one transaction that excludes the other workers, so no trial is lost or numbered twice.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "descent/tune/search_space.hpp"
#include "descent/tune/thresholdout.hpp"
#include "descent/tune/trial.hpp"

namespace descent::tune {

struct StartedTrial {
  std::int64_t id = 0;  // the store's row id
  Trial trial;
};

// Proposes the point of trial `number` from the study's trials so far.
using Proposer = std::function<Point(const std::vector<Trial>& trials, std::int64_t number)>;

class TrialStore {
public:
  virtual ~TrialStore() = default;
  virtual std::string location() const = 0;
  // Creates the study, or checks that the stored one has the same direction and search space.
  virtual std::int64_t open_study(const std::string& name, Direction direction, const SearchSpace& space) = 0;
  // Reads the trials and, while fewer than `max_trials` exist, records propose(trials, next number)
  // as a RUNNING trial, all under exclusion. nullopt when the study already has its trials.
  virtual std::optional<StartedTrial> start_trial(std::int64_t study, std::int64_t max_trials, const SearchSpace& space,
                                                  const std::string& worker, const Proposer& propose) = 0;
  virtual void report(std::int64_t trial_id, std::int64_t step, double value) = 0;
  virtual void finish(std::int64_t trial_id, TrialState state, std::optional<double> value, std::optional<std::int64_t> run_id) = 0;
  virtual std::vector<Trial> trials(std::int64_t study) = 0;
  // RUNNING trials whose worker `is_gone` become FAIL (a worker that crashed); returns how many.
  virtual int fail_abandoned(std::int64_t study, const std::function<bool(const std::string& worker)>& is_gone) = 0;
  // One Thresholdout answer, with the mechanism's state kept in the study (shared by all workers).
  virtual std::optional<double> answer_holdout(std::int64_t study, const ThresholdoutSettings& settings, double training,
                                               double holdout) = 0;
};

// A path opens (or creates) a SQLite store; "postgresql://..." or "postgres://..." a PostgreSQL one.
std::unique_ptr<TrialStore> open_trial_store(const std::string& location);

std::unique_ptr<TrialStore> open_sqlite_trial_store(const std::string& path);
std::unique_ptr<TrialStore> open_postgres_trial_store(const std::string& connection);

}  // namespace descent::tune
