// Pruners stop unpromising trials from their intermediate values (reported at steps, e.g. the
// validation loss after each epoch), with Optuna's semantics so that studies read the same there.
#pragma once

#include <cstdint>
#include <vector>

#include "descent/tune/trial.hpp"

namespace descent::tune {

class Pruner {
public:
  virtual ~Pruner() = default;
  // Whether `trial`, which has just reported its value at `step`, should stop. `trials` are all the
  // study's trials (the current one included or not).
  virtual bool should_prune(const Trial& trial, std::int64_t step, const std::vector<Trial>& trials, Direction direction) const = 0;
};

class NoPruner final : public Pruner {
public:
  bool should_prune(const Trial&, std::int64_t, const std::vector<Trial>&, Direction) const override { return false; }
};

// The median stopping rule (Golovin et al., "Google Vizier", KDD 2017): stop when the trial's best
// intermediate value so far is worse than the median of the other finished trials' values at the
// same step; not before `startup_trials` trials have finished, nor before step `warmup_steps`.
class MedianPruner final : public Pruner {
public:
  MedianPruner(int startup_trials = 5, std::int64_t warmup_steps = 0) : startup_trials_(startup_trials), warmup_steps_(warmup_steps) {}
  bool should_prune(const Trial& trial, std::int64_t step, const std::vector<Trial>& trials, Direction direction) const override;

private:
  int startup_trials_;
  std::int64_t warmup_steps_;
};

// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
// Tuning", MLSys 2020): rungs at steps min_resource * eta^(k + s); a trial that reaches a rung
// continues only if its value there is among the best floor(n / eta) of the n trials that reached
// that rung so far (itself included), as Optuna's SuccessiveHalvingPruner decides.
class AshaPruner final : public Pruner {
public:
  AshaPruner(std::int64_t min_resource = 1, int reduction_factor = 3, int min_early_stopping_rate = 0)
      : min_resource_(min_resource), reduction_factor_(reduction_factor), rate_(min_early_stopping_rate) {}
  bool should_prune(const Trial& trial, std::int64_t step, const std::vector<Trial>& trials, Direction direction) const override;
  // The rung steps up to `max_step`.
  std::vector<std::int64_t> rungs(std::int64_t max_step) const;

private:
  std::int64_t min_resource_;
  int reduction_factor_, rate_;
};

}  // namespace descent::tune
