#include "descent/study/study_runner.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>

#include "descent/build_info.hpp"
#include "descent/comm/transport.hpp"
#include "descent/core/error.hpp"
#include "descent/core/env.hpp"
#include "descent/data/splits.hpp"
#include "descent/store/lease_keeper.hpp"
#include "descent/store/store.hpp"
#include "descent/train/progress.hpp"
#include "descent/train/trainer.hpp"
#include "tensorboard_callback.hpp"

namespace descent::study {
namespace {

// A run's lease expires this long after its owner's last heartbeat; the owner beats several times
// within it, from a thread of its own, however long one training step takes.
constexpr double kLeaseSeconds = 60.0, kHeartbeatSeconds = 10.0;

// This process's name in leases: unique even for two processes on one host with the same pid.
std::string lease_owner() {
  static const std::string owner = fmt::format("{}:{}:{:x}", env::hostname(), ::getpid(),
                                               std::chrono::steady_clock::now().time_since_epoch().count());
  return owner;
}

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

// Checkpoints sit beside the store, named by the run's identity (and rank, under MPI: each rank
// keeps its own workers' feedback state), and go when the run ends.
std::filesystem::path checkpoint_path(const StudyConfig& config, const StudyOptions& options, const PlannedRun& planned,
                                      comm::Transport& world) {
  const std::string rank = world.size() > 1 ? fmt::format(".rank{}", world.rank()) : "";
  return options.store_path.parent_path() / "checkpoints" / fmt::format("{}-{}{}.pt", config.name, planned.key, rank);
}

store::RunStatus status_of(train::RunEnd end) {
  switch (end) {
    case train::RunEnd::finished: return store::RunStatus::finished;
    case train::RunEnd::diverged: return store::RunStatus::diverged;
    case train::RunEnd::stopped: return store::RunStatus::failed;
  }
  return store::RunStatus::failed;
}

// The runs a non-leader rank must do, as rank 0 decided them: their indices into `runs`.
std::vector<std::size_t> shared_todo(comm::Transport& world, const std::vector<PlannedRun>& runs,
                                     const std::vector<const PlannedRun*>& todo) {
  nlohmann::json indices = nlohmann::json::array();
  for (const PlannedRun* run : todo) indices.push_back(run - runs.data());
  std::string text = indices.dump();
  world.broadcast(text, 0);
  return nlohmann::json::parse(text).get<std::vector<std::size_t>>();
}

// A non-leader rank under MPI: the same runs, the same data, no store, no report.
StudyOutcome follow(const StudyConfig& config, const StudyOptions& options, const std::vector<PlannedRun>& runs,
                    comm::Transport& world) {
  StudyOutcome outcome;
  outcome.leader = false;
  const auto todo = shared_todo(world, runs, {});
  if (todo.empty()) return outcome;
  const data::Splits splits = data::load_splits(config.data);
  for (const std::size_t index : todo) {
    const PlannedRun& planned = runs[index];
    train::TrainingRun run = study::training_run(config, planned.optimizer_index, planned.seed);
    run.checkpoint = checkpoint_path(config, options, planned, world);
    const train::RunResult result = train::train(run, splits);
    ++outcome.ran;
    if (result.end != train::RunEnd::stopped) std::filesystem::remove(run.checkpoint);
    if (train::interrupt_flag().load()) {
      outcome.interrupted = true;
      break;
    }
  }
  return outcome;
}

StudyOutcome execute(const StudyConfig& config, const StudyOptions& options, const std::vector<PlannedRun>& runs) {
  comm::Transport& world = comm::world();
  if (world.rank() != 0) return follow(config, options, runs, world);
  // Data faults must not leave anything behind: with no store yet, load the data before creating it.
  std::optional<data::Splits> splits;
  if (!std::filesystem::exists(options.store_path)) splits = data::load_splits(config.data);
  // The report is written after every run has trained: a folder it cannot be written to is found now.
  env::require_writable_directory(options.report_dir / config.name);
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
  if (world.size() > 1) shared_todo(world, runs, todo);
  if (outcome.skipped > 0) {
    fmt::print(stderr, "study {}: {} of {} runs already in {}, skipping them\n", config.name, outcome.skipped,
               runs.size(), options.store_path.string());
  }
  if (!todo.empty() && !splits) splits = data::load_splits(config.data);
  // What a killed write left behind (a checkpoint's or a report's temporary) goes now.
  for (const auto& dir : {options.store_path.parent_path() / "checkpoints", options.report_dir / config.name}) {
    env::remove_stale_temporaries(dir);
  }
  const std::int64_t study_id = store.upsert_study(config.name, to_json(config).dump());
  const store::Provenance provenance{env::hostname(), build_info::git_revision, build_info::version};
  const store::Lease lease{lease_owner(), kLeaseSeconds};
  // Under MPI the ranks agreed on the runs to train (shared_todo) and wait in the same collectives:
  // rank 0 trains them all, as before leases. Processes outside MPI share the study by leases.
  const bool leased = world.size() == 1;
  for (std::size_t k = 0; k < todo.size() && !outcome.interrupted; ++k) {
    const PlannedRun& planned = *todo[k];
    const train::OptimizerEntry& entry = config.optimizers[planned.optimizer_index];
    // Claimed, not just begun: another process on the same study may hold it, or have finished it.
    const auto claimed = leased ? store.claim_run(study_id, planned.key, entry.label, planned.seed, planned.config.dump(), provenance, lease)
                                : store.begin_run(study_id, planned.key, entry.label, planned.seed, planned.config.dump(), provenance);
    if (!claimed) {
      ++outcome.elsewhere;
      continue;
    }
    const std::int64_t run_id = *claimed;
    std::optional<store::LeaseKeeper> keeper;
    if (leased) keeper.emplace(options.store_path, run_id, lease.owner, kHeartbeatSeconds);
    train::TrainingRun run = study::training_run(config, planned.optimizer_index, planned.seed);
    run.checkpoint = checkpoint_path(config, options, planned, world);
    if (config.train.save_model) run.model_path = model_path(options.store_path, config.name, planned.key);
    train::ProgressBar progress(fmt::format("[{}/{}] {} seed {}", k + 1, todo.size(), entry.label, planned.seed));
    std::vector<train::Callback*> callbacks;
    if (options.progress) callbacks.push_back(&progress);
    std::optional<TensorBoardCallback> tensorboard;
    if (!config.train.tensorboard.empty()) {
      tensorboard.emplace(std::filesystem::path(config.train.tensorboard) / config.name /
                          fmt::format("{}-seed{}", entry.label, planned.seed));
      callbacks.push_back(&*tensorboard);
    }
    try {
      train::RunResult result = train::train(run, *splits, callbacks);
      const store::RunStatus status = status_of(result.end);
      outcome.interrupted = train::interrupt_flag().load();
      if (!store.finish_run(run_id, status, result.diverged_step, result.metrics, result.summary,
                            outcome.interrupted ? "interrupted" : "", leased ? lease.owner : "")) {
        fmt::print(stderr, "run {} seed {}: another process took it over after this one missed its heartbeats for {:.0f} s; "
                           "this result is dropped\n", entry.label, planned.seed, kLeaseSeconds);
        continue;
      }
      if (status != store::RunStatus::failed) std::filesystem::remove(run.checkpoint);
      ++outcome.ran;
      if (status == store::RunStatus::diverged) ++outcome.diverged;
      if (status == store::RunStatus::failed) ++outcome.failed;
    } catch (const std::exception& error) {
      store.mark_failed(run_id, error.what());
      // Under MPI the other ranks are inside the same run's collectives: nothing can go on.
      if (world.size() > 1) throw;
      // One broken run must not take the study down: record why and go on.
      ++outcome.failed;
      fmt::print(stderr, "run {} seed {} failed: {}\n", entry.label, planned.seed, error.what());
    }
  }
  if (outcome.elsewhere > 0) {
    fmt::print(stderr, "study {}: {} runs were being trained by another process on this study; its report will include them\n",
               config.name, outcome.elsewhere);
  }
  outcome.report = report::write_reports(report::collect(store, config.name), options.report_dir);
  return outcome;
}

}  // namespace

std::filesystem::path model_path(const std::filesystem::path& store_path, const std::string& study, const std::string& run_key) {
  return store_path.parent_path() / "models" / fmt::format("{}-{}.pt", study, run_key);
}

// comm.workers = 0 means one worker per MPI process; resolved before run keys are computed, so a
// run under `mpirun -np 2` has the key of the same run simulated with two workers.
// Checked before the store is touched, so a bad launch leaves nothing behind.
StudyConfig with_resolved_workers(StudyConfig config) {
  const int processes = comm::world().size();
  if (config.comm.workers == 0) config.comm.workers = processes;
  if (config.comm.workers % processes != 0) {
    throw ConfigError(fmt::format("{}: key 'comm.workers': {} workers do not divide evenly over the {} MPI processes",
                                  config.source, config.comm.workers, processes));
  }
  if (!config.comm.smoothness.empty() && config.comm.smoothness.size() != static_cast<std::size_t>(config.comm.workers)) {
    throw ConfigError(fmt::format("{}: key 'comm.smoothness': {} values for {} workers", config.source,
                                  config.comm.smoothness.size(), config.comm.workers));
  }
  return config;
}

StudyOutcome run_study(const StudyConfig& requested, const StudyOptions& options) {
  const StudyConfig config = with_resolved_workers(requested);
  return execute(config, options, plan(config, std::nullopt));
}

StudyOutcome run_single(const StudyConfig& requested, std::size_t optimizer_index, std::uint64_t seed,
                        const StudyOptions& options) {
  const StudyConfig config = with_resolved_workers(requested);
  return execute(config, options, plan(config, std::make_pair(optimizer_index, seed)));
}

}  // namespace descent::study
