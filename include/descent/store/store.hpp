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

class Store {
public:
  // Opens (creating if needed) the database at `path`; creates parent folders.
  explicit Store(const std::filesystem::path& path);
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
  // Writes metrics, summary and the final status in one transaction.
  void finish_run(std::int64_t run_id, RunStatus status, std::optional<std::int64_t> diverged_step,
                  const std::vector<MetricRow>& metrics, const std::map<std::string, double>& summary,
                  const std::string& message = "");
  void mark_failed(std::int64_t run_id, const std::string& message);

  std::vector<RunRecord> runs(std::int64_t study_id);
  std::vector<MetricRow> metrics(std::int64_t run_id);
  std::map<std::string, double> summary(std::int64_t run_id);

  // PRAGMA integrity_check's answer: "ok" for a sound database.
  std::string integrity_check();

private:
  void migrate();
  void delete_run(std::int64_t run_id);

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace descent::store
