// The trial store in PostgreSQL, for workers on several machines. The same tables as the SQLite
// store; a worker's proposal and insertion run in one transaction that first locks the study's row
// (SELECT ... FOR UPDATE), so workers take turns per study and no trial is lost or numbered twice.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <map>
#include <nlohmann/json.hpp>

#include "descent/core/env.hpp"
#include "descent/tune/trial_store.hpp"
#include "trial_store_common.hpp"

namespace descent::tune {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tune_studies (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  direction TEXT NOT NULL CHECK (direction IN ('MINIMIZE', 'MAXIMIZE')),
  search_space TEXT NOT NULL,
  holdout_state TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
  trial_id BIGSERIAL PRIMARY KEY,
  study_id BIGINT NOT NULL REFERENCES tune_studies(id) ON DELETE CASCADE,
  number BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL')),
  value DOUBLE PRECISION,
  datetime_start TEXT NOT NULL,
  datetime_complete TEXT,
  worker TEXT NOT NULL,
  run_id BIGINT,
  UNIQUE (study_id, number)
);
CREATE TABLE IF NOT EXISTS trial_params (
  trial_id BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  param_name TEXT NOT NULL,
  param_value DOUBLE PRECISION NOT NULL,
  distribution_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, param_name)
);
CREATE TABLE IF NOT EXISTS trial_intermediate_values (
  trial_id BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  step BIGINT NOT NULL,
  intermediate_value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (trial_id, step)
);
)sql";

// A query result, cleared on scope exit.
class Result {
public:
  explicit Result(PGresult* result) : result_(result) {}
  ~Result() { PQclear(result_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  int rows() const { return PQntuples(result_); }
  bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  std::string text(int row, int column) const { return PQgetvalue(result_, row, column); }
  std::int64_t integer(int row, int column) const { return std::stoll(text(row, column)); }
  double real(int row, int column) const { return std::stod(text(row, column)); }

private:
  PGresult* result_;
};

std::string number_text(double v) { return fmt::format("{:.17g}", v); }

class PostgresTrialStore final : public TrialStore {
public:
  explicit PostgresTrialStore(const std::string& connection) : location_(redacted(connection)) {
    connection_ = PQconnectdb(connection.c_str());
    if (PQstatus(connection_) != CONNECTION_OK) {
      const std::string reason = PQerrorMessage(connection_);
      PQfinish(connection_);
      throw StoreError(fmt::format("{}: cannot connect: {}", location_, reason));
    }
    // Workers starting together would race to create the tables: an advisory lock orders them.
    run("SELECT pg_advisory_lock(775324)");
    run(kSchema);
    run("SELECT pg_advisory_unlock(775324)");
  }
  ~PostgresTrialStore() override { PQfinish(connection_); }

  std::string location() const override { return location_; }

  std::int64_t open_study(const std::string& name, Direction direction, const SearchSpace& space) override {
    const std::string space_json = search_space_json(space).dump();
    run("INSERT INTO tune_studies (name, direction, search_space, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        {name, direction_name(direction), space_json, env::utc_now()});
    const Result found = run("SELECT id, direction, search_space FROM tune_studies WHERE name = $1", {name});
    check_same_study(location_, name, direction, space_json, found.text(0, 1), found.text(0, 2));
    return found.integer(0, 0);
  }

  std::optional<StartedTrial> start_trial(std::int64_t study, std::int64_t max_trials, const SearchSpace& space,
                                          const std::string& worker, const Proposer& propose) override {
    Transaction transaction(*this);
    run("SELECT id FROM tune_studies WHERE id = $1 FOR UPDATE", {std::to_string(study)});
    const std::vector<Trial> existing = read_trials(study);
    if (static_cast<std::int64_t>(existing.size()) >= max_trials) return std::nullopt;
    const std::int64_t number = existing.empty() ? 0 : existing.back().number + 1;
    StartedTrial started{0, {number, TrialState::running, propose(existing, number), std::nullopt, {}}};
    const Result inserted = run("INSERT INTO trials (study_id, number, state, datetime_start, worker) VALUES ($1, $2, 'RUNNING', $3, $4) "
                                "RETURNING trial_id",
                                {std::to_string(study), std::to_string(number), env::utc_now(), worker});
    started.id = inserted.integer(0, 0);
    for (std::size_t i = 0; i < space.size(); ++i) {
      run("INSERT INTO trial_params (trial_id, position, param_name, param_value, distribution_json) VALUES ($1, $2, $3, $4, $5)",
          {std::to_string(started.id), std::to_string(i), space.parameters()[i].name, number_text(started.trial.params[i]),
           space.parameters()[i].distribution().dump()});
    }
    transaction.commit();
    return started;
  }

  void report(std::int64_t trial_id, std::int64_t step, double value) override {
    run("INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value) VALUES ($1, $2, $3) "
        "ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = excluded.intermediate_value",
        {std::to_string(trial_id), std::to_string(step), number_text(value)});
  }

  void finish(std::int64_t trial_id, TrialState state, std::optional<double> value, std::optional<std::int64_t> run_id) override {
    run("UPDATE trials SET state = $1, value = $2::double precision, datetime_complete = $3, run_id = $4::bigint WHERE trial_id = $5",
        {state_name(state), value ? number_text(*value) : std::optional<std::string>{}, env::utc_now(),
         run_id ? std::to_string(*run_id) : std::optional<std::string>{}, std::to_string(trial_id)});
  }

  std::vector<Trial> trials(std::int64_t study) override { return read_trials(study); }

  int fail_abandoned(std::int64_t study, const std::function<bool(const std::string&)>& is_gone) override {
    Transaction transaction(*this);
    const Result running = run("SELECT trial_id, worker FROM trials WHERE study_id = $1 AND state = 'RUNNING' FOR UPDATE",
                               {std::to_string(study)});
    int failed = 0;
    for (int row = 0; row < running.rows(); ++row) {
      if (!is_gone(running.text(row, 1))) continue;
      run("UPDATE trials SET state = 'FAIL', datetime_complete = $1 WHERE trial_id = $2", {env::utc_now(), running.text(row, 0)});
      ++failed;
    }
    transaction.commit();
    return failed;
  }

  std::optional<double> answer_holdout(std::int64_t study, const ThresholdoutSettings& settings, double training,
                                       double holdout) override {
    Transaction transaction(*this);
    const Result state = run("SELECT holdout_state FROM tune_studies WHERE id = $1 FOR UPDATE", {std::to_string(study)});
    Thresholdout mechanism = restore_thresholdout(settings, state.text(0, 0));
    const std::optional<double> answer = mechanism.answer(training, holdout);
    run("UPDATE tune_studies SET holdout_state = $1 WHERE id = $2", {thresholdout_json(mechanism.state()), std::to_string(study)});
    transaction.commit();
    return answer;
  }

private:
  class Transaction {
  public:
    explicit Transaction(PostgresTrialStore& store) : store_(store) { store_.run("BEGIN"); }
    ~Transaction() {
      if (!committed_) PQclear(PQexec(store_.connection_, "ROLLBACK"));
    }
    void commit() {
      store_.run("COMMIT");
      committed_ = true;
    }

  private:
    PostgresTrialStore& store_;
    bool committed_ = false;
  };

  // The connection string without its password, for messages.
  static std::string redacted(const std::string& connection) {
    const auto at = connection.find('@'), scheme = connection.find("://");
    if (at == std::string::npos || scheme == std::string::npos) return connection;
    const auto colon = connection.find(':', scheme + 3);
    return colon != std::string::npos && colon < at ? connection.substr(0, colon) + ":***" + connection.substr(at) : connection;
  }

  Result run(const std::string& sql, const std::vector<std::optional<std::string>>& parameters = {}) {
    std::vector<const char*> values;
    for (const auto& p : parameters) values.push_back(p ? p->c_str() : nullptr);
    PGresult* result = parameters.empty() ? PQexec(connection_, sql.c_str())
                                          : PQexecParams(connection_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                                         values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string reason = PQresultErrorMessage(result);
      PQclear(result);
      throw StoreError(fmt::format("{}: query failed: {}", location_, reason));
    }
    return Result(result);
  }

  std::vector<Trial> read_trials(std::int64_t study) {
    const std::string id = std::to_string(study);
    std::vector<Trial> trials;
    std::map<std::int64_t, std::size_t> by_id;
    const Result rows = run("SELECT trial_id, number, state, value FROM trials WHERE study_id = $1 ORDER BY number", {id});
    for (int row = 0; row < rows.rows(); ++row) {
      Trial trial;
      trial.number = rows.integer(row, 1);
      trial.state = parse_state(rows.text(row, 2));
      if (!rows.is_null(row, 3)) trial.value = rows.real(row, 3);
      by_id[rows.integer(row, 0)] = trials.size();
      trials.push_back(std::move(trial));
    }
    const Result params = run("SELECT p.trial_id, p.param_value FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
                              "WHERE t.study_id = $1 ORDER BY p.trial_id, p.position", {id});
    // Rows of trials newer than the first query's snapshot (another worker's) are skipped.
    for (int row = 0; row < params.rows(); ++row) {
      if (const auto it = by_id.find(params.integer(row, 0)); it != by_id.end()) trials[it->second].params.push_back(params.real(row, 1));
    }
    const Result values = run("SELECT v.trial_id, v.step, v.intermediate_value FROM trial_intermediate_values v "
                              "JOIN trials t ON t.trial_id = v.trial_id WHERE t.study_id = $1", {id});
    for (int row = 0; row < values.rows(); ++row) {
      if (const auto it = by_id.find(values.integer(row, 0)); it != by_id.end()) {
        trials[it->second].intermediate[values.integer(row, 1)] = values.real(row, 2);
      }
    }
    return trials;
  }

  std::string location_;
  PGconn* connection_ = nullptr;
};

}  // namespace

std::unique_ptr<TrialStore> open_postgres_trial_store(const std::string& connection) {
  return std::make_unique<PostgresTrialStore>(connection);
}

}  // namespace descent::tune
