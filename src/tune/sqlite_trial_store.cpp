// The trial store in SQLite, in the same file as the run store (WAL mode lets workers read while
// one writes). Each worker process opens its own connection; BEGIN IMMEDIATE takes the write lock
// before the trials are read, so a proposal and its insertion are atomic across processes.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "../store/sqlite_statement.hpp"
#include "descent/core/env.hpp"
#include "descent/tune/trial_store.hpp"
#include "trial_store_common.hpp"

namespace descent::tune {
namespace {

using store::sqlite::Statement;
using store::sqlite::Transaction;
using store::sqlite::require_only_descent_tables;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tune_studies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  direction TEXT NOT NULL CHECK (direction IN ('MINIMIZE', 'MAXIMIZE')),
  search_space TEXT NOT NULL,
  holdout_state TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
  trial_id INTEGER PRIMARY KEY AUTOINCREMENT,
  study_id INTEGER NOT NULL REFERENCES tune_studies(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL')),
  value REAL,
  datetime_start TEXT NOT NULL,
  datetime_complete TEXT,
  worker TEXT NOT NULL,
  run_id INTEGER,
  UNIQUE (study_id, number)
);
CREATE TABLE IF NOT EXISTS trial_params (
  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  param_name TEXT NOT NULL,
  param_value REAL NOT NULL,
  distribution_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, param_name)
);
CREATE TABLE IF NOT EXISTS trial_intermediate_values (
  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  intermediate_value REAL NOT NULL,
  PRIMARY KEY (trial_id, step)
);
)sql";

class SqliteTrialStore final : public TrialStore {
public:
  explicit SqliteTrialStore(const std::string& path) : path_(path) {
    try {
      if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
    } catch (const std::filesystem::filesystem_error& error) {
      throw StoreError(fmt::format("{}: cannot create its folder: {}", path, error.code().message()));
    }
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StoreError(fmt::format("{}: cannot open the store: {}", path, reason));
    }
    sqlite3_busy_timeout(db_, 120000);  // other workers hold the lock for one proposal at a time
    try {
      require_only_descent_tables(db_, path_);
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    Transaction transaction(db_, path_);
    exec(kSchema);
    transaction.commit();
  }
  ~SqliteTrialStore() override { sqlite3_close(db_); }

  std::string location() const override { return path_.string(); }

  std::int64_t open_study(const std::string& name, Direction direction, const SearchSpace& space) override {
    Transaction transaction(db_, path_);
    const std::string space_json = search_space_json(space).dump();
    Statement find(db_, "SELECT id, direction, search_space FROM tune_studies WHERE name = ?", path_);
    find.bind(1, name);
    std::int64_t id;
    if (find.step()) {
      check_same_study(location(), name, direction, space_json, find.text(1), find.text(2));
      id = find.integer(0);
    } else {
      Statement insert(db_, "INSERT INTO tune_studies (name, direction, search_space, created_at) VALUES (?, ?, ?, ?)", path_);
      insert.bind(1, name).bind(2, direction_name(direction)).bind(3, space_json).bind(4, env::utc_now()).run();
      id = sqlite3_last_insert_rowid(db_);
    }
    transaction.commit();
    return id;
  }

  std::optional<StartedTrial> start_trial(std::int64_t study, std::int64_t max_trials, const SearchSpace& space,
                                          const std::string& worker, const Proposer& propose) override {
    Transaction transaction(db_, path_);
    const std::vector<Trial> existing = read_trials(study);
    if (static_cast<std::int64_t>(existing.size()) >= max_trials) return std::nullopt;
    const std::int64_t number = existing.empty() ? 0 : existing.back().number + 1;
    StartedTrial started{0, {number, TrialState::running, propose(existing, number), std::nullopt, {}}};
    Statement insert(db_, "INSERT INTO trials (study_id, number, state, datetime_start, worker) VALUES (?, ?, 'RUNNING', ?, ?)", path_);
    insert.bind(1, study).bind(2, number).bind(3, env::utc_now()).bind(4, worker).run();
    started.id = sqlite3_last_insert_rowid(db_);
    Statement param(db_, "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)", path_);
    for (std::size_t i = 0; i < space.size(); ++i) {
      param.bind(1, started.id).bind(2, space.parameters()[i].name).bind(3, started.trial.params[i])
          .bind(4, space.parameters()[i].distribution().dump()).run();
      param.reset();
    }
    transaction.commit();
    return started;
  }

  void report(std::int64_t trial_id, std::int64_t step, double value) override {
    Statement insert(db_, "INSERT OR REPLACE INTO trial_intermediate_values (trial_id, step, intermediate_value) VALUES (?, ?, ?)", path_);
    insert.bind(1, trial_id).bind(2, step).bind(3, value).run();
  }

  void finish(std::int64_t trial_id, TrialState state, std::optional<double> value, std::optional<std::int64_t> run_id) override {
    Statement update(db_, "UPDATE trials SET state = ?, value = ?, datetime_complete = ?, run_id = ? WHERE trial_id = ?", path_);
    update.bind(1, state_name(state));
    if (value) update.bind(2, *value); else update.bind_null(2);
    update.bind(3, env::utc_now());
    if (run_id) update.bind(4, *run_id); else update.bind_null(4);
    update.bind(5, trial_id).run();
  }

  std::vector<Trial> trials(std::int64_t study) override { return read_trials(study); }

  int fail_abandoned(std::int64_t study, const std::function<bool(const std::string&)>& is_gone) override {
    Transaction transaction(db_, path_);
    Statement running(db_, "SELECT trial_id, worker FROM trials WHERE study_id = ? AND state = 'RUNNING'", path_);
    running.bind(1, study);
    std::vector<std::int64_t> gone;
    while (running.step()) {
      if (is_gone(running.text(1))) gone.push_back(running.integer(0));
    }
    Statement fail(db_, "UPDATE trials SET state = 'FAIL', datetime_complete = ? WHERE trial_id = ?", path_);
    for (const std::int64_t id : gone) {
      fail.bind(1, env::utc_now()).bind(2, id).run();
      fail.reset();
    }
    transaction.commit();
    return static_cast<int>(gone.size());
  }

  std::optional<double> answer_holdout(std::int64_t study, const ThresholdoutSettings& settings, double training,
                                       double holdout) override {
    Transaction transaction(db_, path_);
    Statement read(db_, "SELECT holdout_state FROM tune_studies WHERE id = ?", path_);
    read.bind(1, study);
    read.step();
    Thresholdout mechanism = restore_thresholdout(settings, read.text(0));
    const std::optional<double> answer = mechanism.answer(training, holdout);
    Statement write(db_, "UPDATE tune_studies SET holdout_state = ? WHERE id = ?", path_);
    write.bind(1, thresholdout_json(mechanism.state())).bind(2, study).run();
    transaction.commit();
    return answer;
  }

private:
  void exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string reason = error ? error : "unknown error";
      sqlite3_free(error);
      throw StoreError(fmt::format("{}: not a usable SQLite database: {}", path_.string(), reason));
    }
  }

  std::vector<Trial> read_trials(std::int64_t study) {
    std::vector<Trial> trials;
    std::map<std::int64_t, std::size_t> by_id;
    Statement query(db_, "SELECT trial_id, number, state, value FROM trials WHERE study_id = ? ORDER BY number", path_);
    query.bind(1, study);
    while (query.step()) {
      Trial trial;
      trial.number = query.integer(1);
      trial.state = parse_state(query.text(2));
      if (!query.is_null(3)) trial.value = query.real(3);
      by_id[query.integer(0)] = trials.size();
      trials.push_back(std::move(trial));
    }
    // Parameters in the study's order: the search space's order is the order they were inserted.
    Statement params(db_, "SELECT p.trial_id, p.param_value FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
                          "WHERE t.study_id = ? ORDER BY p.trial_id, p.rowid", path_);
    params.bind(1, study);
    // Rows of trials newer than the first query's snapshot (another worker's) are skipped.
    while (params.step()) {
      if (const auto it = by_id.find(params.integer(0)); it != by_id.end()) trials[it->second].params.push_back(params.real(1));
    }
    Statement values(db_, "SELECT v.trial_id, v.step, v.intermediate_value FROM trial_intermediate_values v "
                          "JOIN trials t ON t.trial_id = v.trial_id WHERE t.study_id = ?", path_);
    values.bind(1, study);
    while (values.step()) {
      if (const auto it = by_id.find(values.integer(0)); it != by_id.end()) trials[it->second].intermediate[values.integer(1)] = values.real(2);
    }
    return trials;
  }

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<TrialStore> open_sqlite_trial_store(const std::string& path) { return std::make_unique<SqliteTrialStore>(path); }

std::unique_ptr<TrialStore> open_trial_store(const std::string& location) {
  if (location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0) return open_postgres_trial_store(location);
  return open_sqlite_trial_store(location);
}

}  // namespace descent::tune
