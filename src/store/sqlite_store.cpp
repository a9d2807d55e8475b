#include <fmt/format.h>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sqlite3.h>

#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/store/store.hpp"
#include "sqlite_statement.hpp"

namespace descent::store {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS studies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  config_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a run id names one attempt forever
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  run_key TEXT NOT NULL,
  label TEXT NOT NULL,
  seed INTEGER NOT NULL,
  config_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'diverged', 'failed')),
  diverged_step INTEGER,
  message TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL,
  git_revision TEXT NOT NULL,
  descent_version TEXT NOT NULL,
  UNIQUE (study_id, run_key)
);
CREATE TABLE IF NOT EXISTS metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, name, step);
-- Added after schema 1 without a version change: older descent ignores it (and cannot share work).
CREATE TABLE IF NOT EXISTS leases (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  heartbeat REAL NOT NULL  -- seconds since the epoch
);
CREATE TABLE IF NOT EXISTS run_summaries (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (run_id, name)
);
)sql";

RunRecord read_run(const Statement& s) {
  RunRecord run;
  run.id = s.integer(0);
  run.study_id = s.integer(1);
  run.run_key = s.text(2);
  run.label = s.text(3);
  run.seed = static_cast<std::uint64_t>(s.integer(4));
  run.config_json = s.text(5);
  run.status = parse_status(s.text(6));
  if (!s.is_null(7)) run.diverged_step = s.integer(7);
  run.message = s.text(8);
  run.started_at = s.text(9);
  run.finished_at = s.text(10);
  run.host = s.text(11);
  run.git_revision = s.text(12);
  run.descent_version = s.text(13);
  return run;
}

constexpr const char* kRunColumns =
    "id, study_id, run_key, label, seed, config_json, status, diverged_step, message, started_at, finished_at, host, "
    "git_revision, descent_version";

}  // namespace

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::running: return "running";
    case RunStatus::finished: return "finished";
    case RunStatus::diverged: return "diverged";
    case RunStatus::failed: return "failed";
  }
  return "failed";
}

RunStatus parse_status(const std::string& text) {
  if (text == "running") return RunStatus::running;
  if (text == "finished") return RunStatus::finished;
  if (text == "diverged") return RunStatus::diverged;
  return RunStatus::failed;
}

namespace {

void reject_newer_schema(std::int64_t version, const std::filesystem::path& path) {
  if (version > kSchemaVersion) {
    throw StoreError(fmt::format("{}: schema version {} is newer than this descent understands ({})", path.string(), version,
                                 kSchemaVersion));
  }
}

// A read-only open that also works where SQLite cannot create the -shm file of a WAL database (a
// read-only folder or filesystem): there the file is opened as immutable, which is safe because
// nothing can be writing it.
std::string read_only_uri(const std::filesystem::path& path) {
  const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const bool writable_here = ::access(folder.c_str(), W_OK) == 0 && ::access(path.c_str(), W_OK) == 0;
  std::string uri = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '?' || c == '#' || c == '%') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + (writable_here ? "?mode=ro" : "?mode=ro&immutable=1");
}

}  // namespace

Store::Store(const std::filesystem::path& path, Access access) : path_(path) {
  if (access == Access::read_write) {
    try {
      if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    } catch (const std::filesystem::filesystem_error& error) {
      throw StoreError(fmt::format("{}: cannot create its folder: {}", path.string(), error.code().message()));
    }
  }
  const int opened = access == Access::read_write
                         ? sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr)
                         : sqlite3_open_v2(read_only_uri(path).c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  if (opened != SQLITE_OK) {
    const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StoreError(fmt::format("{}: cannot open the store: {}", path.string(), reason));
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    if (access == Access::read_write) {
      migrate();
    } else {
      check_read_only_schema();
    }
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

void Store::check_read_only_schema() {
  sqlite::require_only_descent_tables(db_, path_);
  Statement has_version(db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", path_);
  if (!has_version.step() || has_version.integer(0) == 0) {
    throw StoreError(fmt::format("{}: not a descent store (no schema_version table)", path_.string()));
  }
  Statement version(db_, "SELECT version FROM schema_version", path_);
  if (version.step()) reject_newer_schema(version.integer(0), path_);
}

Store::~Store() { sqlite3_close(db_); }

void Store::migrate() {
  sqlite::require_only_descent_tables(db_, path_);
  char* error = nullptr;
  const char* pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
  if (sqlite3_exec(db_, pragmas, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string reason = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError(fmt::format("{}: not a usable SQLite database: {}", path_.string(), reason));
  }
  Transaction transaction(db_, path_);
  if (sqlite3_exec(db_, kSchema, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string reason = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError(fmt::format("{}: cannot create the schema: {}", path_.string(), reason));
  }
  Statement version(db_, "SELECT version FROM schema_version", path_);
  if (!version.step()) {
    Statement insert(db_, "INSERT INTO schema_version (version) VALUES (?)", path_);
    insert.bind(1, std::int64_t{kSchemaVersion}).run();
  } else {
    reject_newer_schema(version.integer(0), path_);
  }
  transaction.commit();
}

std::int64_t Store::upsert_study(const std::string& name, const std::string& config_json) {
  const std::string now = env::utc_now();
  Statement upsert(db_,
                   "INSERT INTO studies (name, config_json, created_at, updated_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT(name) DO UPDATE SET config_json = excluded.config_json, updated_at = excluded.updated_at",
                   path_);
  upsert.bind(1, name).bind(2, config_json).bind(3, now).bind(4, now).run();
  return find_study(name)->id;
}

std::optional<StudyRecord> Store::find_study(const std::string& name) {
  Statement query(db_, "SELECT id, name, config_json, created_at, updated_at FROM studies WHERE name = ?", path_);
  query.bind(1, name);
  if (!query.step()) return std::nullopt;
  return StudyRecord{query.integer(0), query.text(1), query.text(2), query.text(3), query.text(4)};
}

std::vector<StudyRecord> Store::studies() {
  Statement query(db_, "SELECT id, name, config_json, created_at, updated_at FROM studies ORDER BY name", path_);
  std::vector<StudyRecord> all;
  while (query.step()) all.push_back({query.integer(0), query.text(1), query.text(2), query.text(3), query.text(4)});
  return all;
}

std::optional<RunRecord> Store::find_run(std::int64_t study_id, const std::string& run_key) {
  Statement query(db_, fmt::format("SELECT {} FROM runs WHERE study_id = ? AND run_key = ?", kRunColumns).c_str(), path_);
  query.bind(1, study_id).bind(2, run_key);
  if (!query.step()) return std::nullopt;
  return read_run(query);
}

std::optional<RunRecord> Store::find_run_by_id(std::int64_t run_id) {
  Statement query(db_, fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns).c_str(), path_);
  query.bind(1, run_id);
  if (!query.step()) return std::nullopt;
  return read_run(query);
}

void Store::delete_run(std::int64_t run_id) {
  // Children first: the cascade needs foreign_keys=ON, which another client may not have set.
  for (const char* sql : {"DELETE FROM metrics WHERE run_id = ?", "DELETE FROM run_summaries WHERE run_id = ?",
                          "DELETE FROM leases WHERE run_id = ?", "DELETE FROM runs WHERE id = ?"}) {
    Statement(db_, sql, path_).bind(1, run_id).run();
  }
}

std::int64_t Store::insert_running(std::int64_t study_id, const std::string& run_key, const std::string& label,
                                   std::uint64_t seed, const std::string& config_json, const Provenance& provenance) {
  Statement insert(db_,
                   "INSERT INTO runs (study_id, run_key, label, seed, config_json, status, started_at, host, "
                   "git_revision, descent_version) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                   path_);
  insert.bind(1, study_id)
      .bind(2, run_key)
      .bind(3, label)
      .bind(4, static_cast<std::int64_t>(seed))
      .bind(5, config_json)
      .bind(6, env::utc_now())
      .bind(7, provenance.host)
      .bind(8, provenance.git_revision)
      .bind(9, provenance.descent_version)
      .run();
  return sqlite3_last_insert_rowid(db_);
}

std::int64_t Store::begin_run(std::int64_t study_id, const std::string& run_key, const std::string& label,
                              std::uint64_t seed, const std::string& config_json, const Provenance& provenance) {
  Transaction transaction(db_, path_);
  if (auto earlier = find_run(study_id, run_key)) delete_run(earlier->id);
  const std::int64_t id = insert_running(study_id, run_key, label, seed, config_json, provenance);
  transaction.commit();
  return id;
}

namespace {

double now_in_seconds() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

// Whether a lease owner ("host:pid:nonce") was a process on this host that no longer exists: a
// killed study's lease is then dead at once, so rerunning it resumes without waiting for expiry.
bool owner_is_gone(const std::string& owner) {
  const auto first = owner.find(':'), second = owner.find(':', first + 1);
  if (first == std::string::npos || second == std::string::npos || owner.substr(0, first) != env::hostname()) return false;
  try {
    const auto pid = static_cast<pid_t>(std::stol(owner.substr(first + 1, second - first - 1)));
    return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::optional<std::int64_t> Store::claim_run(std::int64_t study_id, const std::string& run_key, const std::string& label,
                                             std::uint64_t seed, const std::string& config_json, const Provenance& provenance,
                                             const Lease& lease) {
  Transaction transaction(db_, path_);  // BEGIN IMMEDIATE: one claimant at a time, so the check holds
  if (const auto earlier = find_run(study_id, run_key)) {
    if (earlier->status == RunStatus::finished || earlier->status == RunStatus::diverged) return std::nullopt;
    if (earlier->status == RunStatus::running && lease_alive_elsewhere(earlier->id, lease)) return std::nullopt;
    delete_run(earlier->id);  // failed, interrupted, or its owner stopped beating: start it over
  }
  const std::int64_t id = insert_running(study_id, run_key, label, seed, config_json, provenance);
  Statement(db_, "INSERT INTO leases (run_id, owner, heartbeat) VALUES (?, ?, ?)", path_)
      .bind(1, id)
      .bind(2, lease.owner)
      .bind(3, now_in_seconds())
      .run();
  transaction.commit();
  return id;
}

bool Store::lease_alive_elsewhere(std::int64_t run_id, const Lease& lease) {
  Statement held(db_, "SELECT owner, heartbeat FROM leases WHERE run_id = ?", path_);
  held.bind(1, run_id);
  return held.step() && held.text(0) != lease.owner && now_in_seconds() - held.real(1) < lease.seconds &&
         !owner_is_gone(held.text(0));
}

bool Store::holds_lease(std::int64_t run_id, const std::string& owner) {
  Statement held(db_, "SELECT owner FROM leases WHERE run_id = ?", path_);
  held.bind(1, run_id);
  return held.step() && held.text(0) == owner;
}

bool Store::renew_lease(std::int64_t run_id, const std::string& owner) {
  Transaction transaction(db_, path_);
  if (!holds_lease(run_id, owner)) return false;
  Statement(db_, "UPDATE leases SET heartbeat = ? WHERE run_id = ?", path_).bind(1, now_in_seconds()).bind(2, run_id).run();
  transaction.commit();
  return true;
}

bool Store::finish_run(std::int64_t run_id, RunStatus status, std::optional<std::int64_t> diverged_step,
                       const std::vector<MetricRow>& metrics, const std::map<std::string, double>& summary,
                       const std::string& message, const std::string& owner) {
  Transaction transaction(db_, path_);
  if (!owner.empty() && !holds_lease(run_id, owner)) return false;
  Statement(db_, "DELETE FROM leases WHERE run_id = ?", path_).bind(1, run_id).run();
  Statement insert_metric(db_, "INSERT INTO metrics (run_id, step, name, value) VALUES (?, ?, ?, ?)", path_);
  for (const auto& row : metrics) {
    insert_metric.bind(1, run_id).bind(2, row.step).bind(3, row.name).bind(4, row.value).run();
    insert_metric.reset();
  }
  Statement insert_summary(db_, "INSERT OR REPLACE INTO run_summaries (run_id, name, value) VALUES (?, ?, ?)", path_);
  for (const auto& [name, value] : summary) {
    insert_summary.bind(1, run_id).bind(2, name).bind(3, value).run();
    insert_summary.reset();
  }
  Statement update(db_, "UPDATE runs SET status = ?, diverged_step = ?, message = ?, finished_at = ? WHERE id = ?", path_);
  update.bind(1, to_string(status));
  if (diverged_step) {
    update.bind(2, *diverged_step);
  } else {
    update.bind_null(2);
  }
  update.bind(3, message).bind(4, env::utc_now()).bind(5, run_id).run();
  transaction.commit();
  return true;
}

void Store::mark_failed(std::int64_t run_id, const std::string& message) {
  finish_run(run_id, RunStatus::failed, std::nullopt, {}, {}, message);
}

std::vector<RunRecord> Store::runs(std::int64_t study_id) {
  Statement query(db_, fmt::format("SELECT {} FROM runs WHERE study_id = ? ORDER BY id", kRunColumns).c_str(), path_);
  query.bind(1, study_id);
  std::vector<RunRecord> all;
  while (query.step()) all.push_back(read_run(query));
  return all;
}

std::vector<MetricRow> Store::metrics(std::int64_t run_id) {
  Statement query(db_, "SELECT step, name, value FROM metrics WHERE run_id = ? ORDER BY name, step", path_);
  query.bind(1, run_id);
  std::vector<MetricRow> rows;
  while (query.step()) rows.push_back({query.integer(0), query.text(1), query.real(2)});
  return rows;
}

std::map<std::string, double> Store::summary(std::int64_t run_id) {
  Statement query(db_, "SELECT name, value FROM run_summaries WHERE run_id = ?", path_);
  query.bind(1, run_id);
  std::map<std::string, double> values;
  while (query.step()) values[query.text(0)] = query.real(1);
  return values;
}

std::string Store::integrity_check() {
  Statement query(db_, "PRAGMA integrity_check", path_);
  std::string answer;
  while (query.step()) answer += (answer.empty() ? "" : "; ") + query.text(0);
  return answer;
}

}  // namespace descent::store
