#include "descent/study/study_runner.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "descent/build_info.hpp"
#include "descent/core/env.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/store/store.hpp"
#include "descent/train/progress.hpp"
#include "descent/train/trainer.hpp"

namespace descent::study {
namespace {

struct PlannedRun {
  std::size_t optimizer_index;
  std::uint64_t seed;
  nlohmann::json config;
  std::string key;
};

std::vector<PlannedRun> plan(const StudyConfig& config, std::optional<std::pair<std::size_t, std::uint64_t>> only) {
  std::vector<PlannedRun> runs;
  for (std::size_t i = 0; i < config.optimizers.size(); ++i) {
    for (const std::uint64_t seed : config.seeds) {
      if (only && (only->first != i || only->second != seed)) continue;
      nlohmann::json run_config = run_config_json(config, i, seed);
      runs.push_back({i, seed, run_config, run_key(run_config)});
    }
  }
  if (only && runs.empty()) {
    nlohmann::json run_config = run_config_json(config, only->first, only->second);
    runs.push_back({only->first, only->second, run_config, run_key(run_config)});
  }
  return runs;
}

store::RunStatus status_of(train::RunEnd end) {
  switch (end) {
    case train::RunEnd::finished: return store::RunStatus::finished;
    case train::RunEnd::diverged: return store::RunStatus::diverged;
    case train::RunEnd::stopped: return store::RunStatus::failed;
  }
  return store::RunStatus::failed;
}

StudyOutcome execute(const StudyConfig& config, const StudyOptions& options, const std::vector<PlannedRun>& runs) {
  // Data faults must not leave anything behind: with no store yet, load the data before creating it.
  std::optional<data::Splits> splits;
  if (!std::filesystem::exists(options.store_path)) splits = load_splits(config.data);
  store::Store store(options.store_path);
  const auto existing_study = store.find_study(config.name);

  StudyOutcome outcome;
  std::vector<const PlannedRun*> todo;
  for (const auto& run : runs) {
    const auto existing = existing_study ? store.find_run(existing_study->id, run.key) : std::nullopt;
    if (existing && (existing->status == store::RunStatus::finished || existing->status == store::RunStatus::diverged)) {
      ++outcome.skipped;
    } else {
      todo.push_back(&run);
    }
  }
  if (outcome.skipped > 0) {
    fmt::print(stderr, "study {}: {} of {} runs already in {}, skipping them\n", config.name, outcome.skipped,
               runs.size(), options.store_path.string());
  }
  if (!todo.empty() && !splits) splits = load_splits(config.data);
  const std::int64_t study_id = store.upsert_study(config.name, to_json(config).dump());
  const store::Provenance provenance{env::hostname(), build_info::git_revision, build_info::version};
  for (std::size_t k = 0; k < todo.size() && !outcome.interrupted; ++k) {
    const PlannedRun& planned = *todo[k];
    const OptimizerEntry& entry = config.optimizers[planned.optimizer_index];
    const std::int64_t run_id = store.begin_run(study_id, planned.key, entry.label, planned.seed, planned.config.dump(), provenance);
    train::TrainingRun run{config.model, config.train, entry, config.schedule, planned.seed, config.batch, config.hyper_schedules, config.diagnostics};
    // Checkpoints sit beside the store, named by the run's identity, and go when the run ends.
    run.checkpoint = options.store_path.parent_path() / "checkpoints" / fmt::format("{}-{}.pt", config.name, planned.key);
    train::ProgressBar progress(fmt::format("[{}/{}] {} seed {}", k + 1, todo.size(), entry.label, planned.seed));
    std::vector<train::Callback*> callbacks;
    if (options.progress) callbacks.push_back(&progress);
    try {
      train::RunResult result = train::train(run, *splits, callbacks);
      const store::RunStatus status = status_of(result.end);
      outcome.interrupted = train::interrupt_flag().load();
      store.finish_run(run_id, status, result.diverged_step, result.metrics, result.summary,
                       outcome.interrupted ? "interrupted" : "");
      if (status != store::RunStatus::failed) std::filesystem::remove(run.checkpoint);
      ++outcome.ran;
      if (status == store::RunStatus::diverged) ++outcome.diverged;
      if (status == store::RunStatus::failed) ++outcome.failed;
    } catch (const std::exception& error) {
      // One broken run must not take the study down: record why and go on.
      store.mark_failed(run_id, error.what());
      ++outcome.failed;
      fmt::print(stderr, "run {} seed {} failed: {}\n", entry.label, planned.seed, error.what());
    }
  }
  outcome.report = report::write_reports(report::collect(store, config.name), options.report_dir);
  return outcome;
}

}  // namespace

data::Splits load_splits(const DataConfig& config) {
  data::Splits splits;
  if (config.dataset == "fashion-mnist") {
    splits.train = data::load_fashion_mnist(config.dir, "train");
    splits.test = data::load_fashion_mnist(config.dir, "t10k");
    data::keep_subset(splits.train, config.train_subset, config.seed);
    data::keep_subset(splits.test, config.test_subset, config.seed + 1);
  } else if (config.dataset == "gaussian-mixture") {
    splits = data::gaussian_mixture({config.train_size, config.test_size, config.features, config.classes, config.separation},
                                    config.seed);
  } else {
    splits = data::linear_regression({config.train_size, config.test_size, config.features, config.noise}, config.seed);
  }
  data::carve_validation(splits, config.validation, config.seed);
  if (config.standardize) data::standardize(splits);
  return splits;
}

StudyOutcome run_study(const StudyConfig& config, const StudyOptions& options) {
  return execute(config, options, plan(config, std::nullopt));
}

StudyOutcome run_single(const StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed,
                        const StudyOptions& options) {
  return execute(config, options, plan(config, std::make_pair(optimizer_index, seed)));
}

}  // namespace descent::study
