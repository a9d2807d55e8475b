// The run store: studies, runs, metrics and run summaries in SQLite (WAL mode, versioned schema).
// A run row is written as 'running' when it starts; its metrics, summary and final status land in
// one transaction when it ends, so a killed process leaves at most a 'running' row with nothing
// else, which the next invocation of the study deletes and reruns.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "descent/core/metrics.hpp"

struct sqlite3;

namespace descent::store {

inline constexpr int kSchemaVersion = 1;

enum class RunStatus { running, finished, diverged, failed };
std::string to_string(RunStatus status);
RunStatus parse_status(const std::string& text);

using descent::MetricRow;

struct RunRecord {
  std::int64_t id = 0;
  std::int64_t study_id = 0;
  std::string run_key;
  std::string label;  // the optimizer entry's label
  std::uint64_t seed = 0;
  std::string config_json;
  RunStatus status = RunStatus::running;
  std::optional<std::int64_t> diverged_step;
  std::string message;  // why it failed, when it did
  std::string started_at;
  std::string finished_at;
  std::string host;
  std::string git_revision;
  std::string descent_version;
};

struct StudyRecord {
  std::int64_t id = 0;
  std::string name;
  std::string config_json;
  std::string created_at;
  std::string updated_at;
};

// Provenance written with each run.
struct Provenance {
  std::string host;
  std::string git_revision;
  std::string descent_version;
};

// A process's claim on a run, kept alive by heartbeats. Processes started on the same study split
// its runs: each claims a run before training it, and a claim whose owner stopped beating (a
// crashed or killed process) expires, so the run is claimed again. An owner on this host whose
// process is gone has no live claim at all, so a killed study resumes at once.
struct Lease {
  std::string owner;         // unique per process: host:pid:nonce
  double seconds = 60.0;     // a claim whose last heartbeat is older than this has expired
};

// How a store is opened: read-write (created if missing, schema brought up to date), or read-only
// for commands that only read (`descent report`), which then work on a read-only filesystem too.
enum class Access { read_write, read_only };

class Store {
public:
  // Opens the database at `path`. read_write creates it and its parent folders if needed;
  // read_only requires an existing descent store and never writes to it.
  explicit Store(const std::filesystem::path& path, Access access = Access::read_write);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Creates the study or updates its latest config; returns its id.
  std::int64_t upsert_study(const std::string& name, const std::string& config_json);
  std::optional<StudyRecord> find_study(const std::string& name);
  std::vector<StudyRecord> studies();

  std::optional<RunRecord> find_run(std::int64_t study_id, const std::string& run_key);
  std::optional<RunRecord> find_run_by_id(std::int64_t run_id);
  // Inserts a 'running' row, replacing any earlier unfinished attempt of the same run (and its data).
  std::int64_t begin_run(std::int64_t study_id, const std::string& run_key, const std::string& label, std::uint64_t seed,
                         const std::string& config_json, const Provenance& provenance);
  // Claims the run for `lease.owner` unless it is finished or diverged, or another owner's lease on
  // it is alive; then replaces any earlier attempt, as begin_run does, and returns the new id.
  // Atomic: of several processes claiming one run, exactly one gets it.
  std::optional<std::int64_t> claim_run(std::int64_t study_id, const std::string& run_key, const std::string& label,
                                        std::uint64_t seed, const std::string& config_json, const Provenance& provenance,
                                        const Lease& lease);
  // The heartbeat: false when `owner` no longer holds the run's lease (it expired and was taken).
  bool renew_lease(std::int64_t run_id, const std::string& owner);
  // Writes metrics, summary and the final status in one transaction, and ends the run's lease.
  // With an `owner`, writes nothing and returns false unless that owner still holds the lease.
  bool finish_run(std::int64_t run_id, RunStatus status, std::optional<std::int64_t> diverged_step,
                  const std::vector<MetricRow>& metrics, const std::map<std::string, double>& summary,
                  const std::string& message = "", const std::string& owner = "");
  void mark_failed(std::int64_t run_id, const std::string& message);

  std::vector<RunRecord> runs(std::int64_t study_id);
  std::vector<MetricRow> metrics(std::int64_t run_id);
  std::map<std::string, double> summary(std::int64_t run_id);

  // PRAGMA integrity_check's answer: "ok" for a sound database.
  std::string integrity_check();

private:
  void migrate();
  void check_read_only_schema();
  void delete_run(std::int64_t run_id);
  bool holds_lease(std::int64_t run_id, const std::string& owner);
  bool lease_alive_elsewhere(std::int64_t run_id, const Lease& lease);
  std::int64_t insert_running(std::int64_t study_id, const std::string& run_key, const std::string& label, std::uint64_t seed,
                              const std::string& config_json, const Provenance& provenance);

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace descent::store
