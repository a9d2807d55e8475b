#include "descent/study/tuner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "descent/build_info.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/data/splits.hpp"
#include "descent/store/store.hpp"
#include "descent/study/study_runner.hpp"
#include "descent/train/progress.hpp"
#include "descent/train/trainer.hpp"
#include "descent/tune/pruner.hpp"
#include "descent/tune/sampler.hpp"
#include "descent/tune/trial_store.hpp"
#include "descent/tune/tune_report.hpp"

namespace descent::study {
namespace {

std::unique_ptr<tune::Sampler> make_sampler(const tune::TuneOptions& settings, const tune::SearchSpace& space) {
  if (settings.sampler == tune::SamplerKind::random) return std::make_unique<tune::RandomSampler>(settings.seed);
  if (settings.sampler == tune::SamplerKind::grid) return std::make_unique<tune::GridSampler>(space, static_cast<int>(settings.grid_levels));
  tune::BayesianOptions options;
  options.acquisition = settings.acquisition;
  options.kernel = settings.kernel;
  options.initial_trials = settings.initial_trials > 0 ? static_cast<int>(settings.initial_trials)
                                                       : std::max(5, 2 * static_cast<int>(space.size()));
  options.ucb_beta = settings.ucb_beta;
  options.direction = settings.direction;
  return std::make_unique<tune::BayesianSampler>(options, settings.seed);
}

std::unique_ptr<tune::Pruner> make_pruner(const tune::TuneOptions& settings) {
  if (settings.pruner == tune::PrunerKind::median) {
    return std::make_unique<tune::MedianPruner>(static_cast<int>(settings.startup_trials), settings.warmup_steps);
  }
  if (settings.pruner == tune::PrunerKind::asha) {
    return std::make_unique<tune::AshaPruner>(settings.min_resource, static_cast<int>(settings.reduction_factor));
  }
  return std::make_unique<tune::NoPruner>();
}

// This process's name in the trial store: host and pid, so that a restarted worker on the same
// host can tell its crashed predecessors' RUNNING trials from live ones.
std::string worker_name() { return fmt::format("{}:{}", env::hostname(), getpid()); }

bool worker_is_gone(const std::string& worker) {
  const auto colon = worker.rfind(':');
  if (colon == std::string::npos || worker.substr(0, colon) != env::hostname()) return false;  // another machine's
  const pid_t pid = static_cast<pid_t>(std::stol(worker.substr(colon + 1)));
  return pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH;
}

// Reports the intermediate value after each epoch and stops the run when the pruner says so.
class PruningCallback : public train::Callback {
public:
  PruningCallback(tune::TrialStore& store, std::int64_t study, std::int64_t trial_id, tune::Trial trial, const tune::Pruner& pruner,
                  const tune::TuneOptions& config)
      : store_(store), study_(study), trial_id_(trial_id), trial_(std::move(trial)), pruner_(pruner), config_(config) {}

  bool on_epoch_end(const train::EpochEvent& event) override {
    const auto it = event.evaluation.find(config_.report);
    if (it == event.evaluation.end() || config_.pruner == tune::PrunerKind::none) return true;
    const std::int64_t step = event.epoch + 1;  // the resource: epochs
    store_.report(trial_id_, step, it->second);
    trial_.intermediate[step] = it->second;
    pruned_ = pruner_.should_prune(trial_, step, store_.trials(study_), config_.direction);
    return !pruned_;
  }
  bool pruned() const { return pruned_; }

private:
  tune::TrialStore& store_;
  std::int64_t study_, trial_id_;
  tune::Trial trial_;
  const tune::Pruner& pruner_;
  const tune::TuneOptions& config_;
  bool pruned_ = false;
};

struct TrialResult {
  tune::TrialState state = tune::TrialState::fail;
  std::optional<double> value;
  std::optional<std::int64_t> run_id;
  bool holdout_spent = false;
  bool reused = false;
};

}  // namespace

tune::SearchSpace search_space(const tune::TuneOptions& options) {
  std::vector<tune::Parameter> parameters;
  for (const auto& p : options.params) {
    tune::Parameter parameter;
    parameter.name = p.name;
    parameter.kind = p.type == "int" ? tune::ParamKind::integer : p.type == "categorical" ? tune::ParamKind::categorical : tune::ParamKind::real;
    parameter.low = p.low, parameter.high = p.high, parameter.log = p.log, parameter.choices = p.choices;
    parameters.push_back(parameter);
  }
  return tune::SearchSpace(std::move(parameters));
}

TuneOutcome run_tune(const StudyConfig& config, const TuneOptions& options) {
  const tune::TuneOptions& settings = config.tune;
  if (settings.trials == 0) throw ConfigError(fmt::format("{}: key 'tune': missing; `descent tune` needs a [tune] section", config.source));
  const tune::SearchSpace space = search_space(settings);
  // Every trial's overrides must give a valid study: check the corners before anything is stored.
  for (std::size_t i = 0; i < space.size(); ++i) {
    const auto& p = space.parameters()[i];
    for (const double v : {p.low, p.high}) {
      if (p.kind == tune::ParamKind::categorical) break;
      std::vector<std::string> overrides = options.overrides;
      overrides.push_back(space.override_text(i, v));
      load_study_config(options.file, overrides);
    }
    for (std::size_t c = 0; c < p.choices.size(); ++c) {
      std::vector<std::string> overrides = options.overrides;
      overrides.push_back(space.override_text(i, static_cast<double>(c)));
      load_study_config(options.file, overrides);
    }
  }
  const data::Splits splits = data::load_splits(config.data);
  store::Store runs(options.store_path);
  const auto trials = tune::open_trial_store(options.trial_store.empty() ? options.store_path.string() : options.trial_store);
  const std::int64_t study = trials->open_study(config.name, settings.direction, space);
  if (const int abandoned = trials->fail_abandoned(study, worker_is_gone); abandoned > 0) {
    fmt::print(stderr, "tune {}: {} trials of a stopped worker marked FAIL\n", config.name, abandoned);
  }
  const auto sampler = make_sampler(settings, space);
  const auto pruner = make_pruner(settings);
  const std::int64_t runs_study = runs.upsert_study(config.name, to_json(config).dump());
  const store::Provenance provenance{env::hostname(), build_info::git_revision, build_info::version};
  const std::string worker = worker_name();
  const tune::ThresholdoutSettings holdout{settings.threshold, settings.sigma, static_cast<int>(settings.budget), settings.seed};

  TuneOutcome outcome;
  while (!outcome.interrupted && !outcome.holdout_spent) {
    const auto started = trials->start_trial(study, settings.trials, space, worker, [&](const std::vector<tune::Trial>& so_far, std::int64_t number) {
      return sampler->suggest(space, so_far, number);
    });
    if (!started) break;
    std::vector<std::string> overrides = options.overrides;
    std::string shown;
    for (std::size_t i = 0; i < space.size(); ++i) {
      overrides.push_back(space.override_text(i, started->trial.params[i]));
      shown += fmt::format("{}{}={}", i ? " " : "", space.parameters()[i].name, space.display(i, started->trial.params[i]));
    }
    StudyConfig trial_config = load_study_config(options.file, overrides);
    if (options.threads > 0) trial_config.train.threads = options.threads;
    const std::uint64_t seed = trial_config.seeds.front();
    const nlohmann::json run_config = run_config_json(trial_config, 0, seed);
    const std::string key = run_key(run_config);
    const std::string label = fmt::format("trial-{}", started->trial.number);
    TrialResult result;
    try {
      std::map<std::string, double> summary;
      const auto existing = runs.find_run(runs_study, key);
      if (existing && existing->status == store::RunStatus::finished) {
        // The same config and seed were trained before: the result is the same, bit for bit.
        summary = runs.summary(existing->id);
        result.run_id = existing->id;
        result.reused = true;
      } else {
        const std::int64_t run_id = runs.begin_run(runs_study, key, label, seed, run_config.dump(), provenance);
        result.run_id = run_id;
        train::TrainingRun run = study::training_run(trial_config, 0, seed);
        run.evaluate_train = settings.thresholdout;
        PruningCallback pruning(*trials, study, started->id, started->trial, *pruner, settings);
        train::ProgressBar progress(fmt::format("[trial {}/{}] {}", started->trial.number + 1, settings.trials, shown));
        std::vector<train::Callback*> callbacks = {&pruning};
        if (options.progress) callbacks.push_back(&progress);
        const train::RunResult trained = train::train(run, splits, callbacks);
        outcome.interrupted = train::interrupt_flag().load();
        const store::RunStatus status = trained.end == train::RunEnd::finished   ? store::RunStatus::finished
                                        : trained.end == train::RunEnd::diverged ? store::RunStatus::diverged
                                                                                 : store::RunStatus::failed;
        runs.finish_run(run_id, status, trained.diverged_step, trained.metrics, trained.summary,
                        pruning.pruned() ? "pruned" : outcome.interrupted ? "interrupted" : "");
        summary = trained.summary;
        if (pruning.pruned()) result.state = tune::TrialState::pruned;
        else if (trained.end == train::RunEnd::finished) result.state = tune::TrialState::complete;
      }
      if (result.reused) result.state = tune::TrialState::complete;
      if (result.state == tune::TrialState::complete) {
        const auto value = summary.find(settings.objective);
        if (value == summary.end() || !std::isfinite(value->second)) {
          result.state = tune::TrialState::fail;
        } else if (settings.thresholdout) {
          const std::string train_key = settings.objective.find("loss") != std::string::npos ? "final_train_loss" : "final_train_accuracy";
          result.value = trials->answer_holdout(study, holdout, summary.at(train_key), value->second);
          if (!result.value) result.state = tune::TrialState::fail, result.holdout_spent = true;
        } else {
          result.value = value->second;
        }
      }
    } catch (const std::exception& error) {
      fmt::print(stderr, "trial {} failed: {}\n", started->trial.number, error.what());
      result.state = tune::TrialState::fail;
    }
    trials->finish(started->id, result.state, result.value, result.run_id);
    ++outcome.ran;
    outcome.reused += result.reused;
    outcome.holdout_spent = result.holdout_spent;
    if (result.state == tune::TrialState::complete) ++outcome.complete;
    if (result.state == tune::TrialState::pruned) ++outcome.pruned;
    if (result.state == tune::TrialState::fail) ++outcome.failed;
  }
  if (outcome.holdout_spent) {
    fmt::print(stderr, "tune {}: Thresholdout's budget of {} holdout answers is spent; the holdout must not be consulted again\n",
               config.name, settings.budget);
  }
  const std::vector<tune::Trial> all = trials->trials(study);
  for (const auto& trial : all) {
    if (trial.state != tune::TrialState::complete || !trial.value) continue;
    if (!outcome.best || tune::minimized(*trial.value, settings.direction) < tune::minimized(*outcome.best->value, settings.direction)) {
      outcome.best = trial;
    }
  }
  outcome.report = tune::write_tune_report({config.name, settings.objective, settings.direction, space, all, trials->location()},
                                           options.report_dir);
  return outcome;
}

}  // namespace descent::study
