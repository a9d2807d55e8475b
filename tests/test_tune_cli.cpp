// `descent tune` end to end: a GP study with pruning stored in Optuna's vocabulary, resumed and
// extended; several worker processes sharing one SQLite store and, against a PostgreSQL server
// started here, several workers on one PostgreSQL store (each trial recorded exactly once); the
// export to Optuna read back with python3-optuna; Thresholdout on the objective.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "helpers.hpp"

namespace descent::testing {
namespace {

std::string tune_study(const std::string& tune, int trials, int train_size = 1200) {
  return "[study]\nname = \"tune\"\n[data]\ndataset = \"gaussian-mixture\"\ntrain_size = " + std::to_string(train_size) +
         "\ntest_size = 300\nfeatures = 16\n"
         "classes = 4\nseparation = 0.8\nvalidation = 300\n[model]\nhidden = [16]\n[train]\nepochs = 3\nbatch_size = 64\n"
         "[[optimizers]]\nname = \"sgd\"\nlr = 0.1\nmomentum = 0.9\n[tune]\ntrials = " + std::to_string(trials) + "\n" + tune +
         "\n[[tune.params]]\nname = \"optimizers[0].lr\"\nlow = 1e-3\nhigh = 1.0\nlog = true\n"
         "[[tune.params]]\nname = \"optimizers[0].momentum\"\nlow = 0.0\nhigh = 0.95\n";
}

// Rows of one SQL query, each row's columns as text.
std::vector<std::vector<std::string>> rows(const std::filesystem::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  std::vector<std::vector<std::string>> out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      out.push_back(row);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Every number 0..n-1 exactly once, none left RUNNING. Concurrent workers see each other's
// trials at different moments, so their proposals, and whether some high learning rate diverges
// (a FAIL trial, as in Optuna), are not deterministic: `allow_fail` there.
void expect_trials_recorded_once(const std::vector<std::vector<std::string>>& trials, int n, bool allow_fail = false) {
  ASSERT_EQ(static_cast<int>(trials.size()), n);
  std::set<int> numbers;
  for (const auto& t : trials) {
    numbers.insert(std::stoi(t[0]));
    EXPECT_NE(t[1], "RUNNING");
    if (!allow_fail) EXPECT_NE(t[1], "FAIL") << "trial " << t[0];
  }
  EXPECT_EQ(static_cast<int>(numbers.size()), n);
  EXPECT_EQ(*numbers.rbegin(), n - 1);
}

TEST(Tune, GpStudyWithPruningResumesAndExtends) {
  TempDir dir;
  write_file(dir / "tune.toml", tune_study("pruner = \"median\"\nstartup_trials = 3\ninitial_trials = 4", 8));
  const auto first = run_descent({"tune", "tune.toml", "--quiet"}, dir.path());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("runs/reports/tune/tune.html"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "runs/reports/tune/tune.md"));
  const auto db = dir / "runs/descent.db";
  expect_trials_recorded_once(rows(db, "SELECT number, state FROM trials ORDER BY number"), 8);
  // Optuna's vocabulary: parameters with their distributions, intermediate values per epoch.
  const auto params = rows(db, "SELECT param_name, distribution_json FROM trial_params WHERE trial_id = 1 ORDER BY rowid");
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0][0], "optimizers[0].lr");
  EXPECT_EQ(nlohmann::json::parse(params[0][1]).at("name"), "FloatDistribution");
  EXPECT_EQ(nlohmann::json::parse(params[0][1]).at("attributes").at("log"), true);
  EXPECT_EQ(rows(db, "SELECT COUNT(*) FROM trial_intermediate_values v JOIN trials t USING (trial_id) WHERE t.state = 'COMPLETE' "
                     "AND t.run_id IN (SELECT id FROM runs WHERE status = 'finished')")[0][0],
            std::to_string(3 * std::stoi(rows(db, "SELECT COUNT(*) FROM trials t JOIN runs r ON r.id = t.run_id WHERE t.state = 'COMPLETE' "
                                                 "AND r.label = 'trial-' || t.number")[0][0])));
  // A complete trial's value is its run's objective.
  const auto check = rows(db, "SELECT t.value, s.value FROM trials t JOIN run_summaries s ON s.run_id = t.run_id "
                              "WHERE t.state = 'COMPLETE' AND s.name = 'final_val_loss'");
  ASSERT_FALSE(check.empty());
  for (const auto& row : check) EXPECT_EQ(row[0], row[1]);
  // Rerun: the study is complete, nothing new. Extended: numbering continues.
  ASSERT_EQ(run_descent({"tune", "tune.toml", "--quiet"}, dir.path()).exit_code, 0);
  EXPECT_EQ(rows(db, "SELECT COUNT(*) FROM trials")[0][0], "8");
  ASSERT_EQ(run_descent({"tune", "tune.toml", "tune.trials=11", "--quiet"}, dir.path()).exit_code, 0);
  expect_trials_recorded_once(rows(db, "SELECT number, state FROM trials ORDER BY number"), 11);
  // Another search space under the same name is refused, naming the study.
  const auto changed = run_descent({"tune", "tune.toml", "tune.params[1].high=0.5", "--quiet"}, dir.path());
  EXPECT_EQ(changed.exit_code, 2);
  EXPECT_NE(changed.err.find("tuning study 'tune' was created with another search space"), std::string::npos) << changed.err;

  // The export to Optuna, read back by Optuna: same trials, states and best value.
  const auto exported = run_program("/usr/bin/python3", {std::string(DESCENT_SOURCE_DIR) + "/scripts/export_optuna.py",
                                                         "runs/descent.db", "tune", "sqlite:///optuna.db"}, dir.path());
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto seen = nlohmann::json::parse(exported.out);
  EXPECT_EQ(seen.at("trials"), 11);
  const auto best = rows(db, "SELECT number, value FROM trials WHERE state = 'COMPLETE' ORDER BY value LIMIT 1");
  EXPECT_EQ(seen.at("best_descent_number"), std::stoi(best[0][0]));
  EXPECT_DOUBLE_EQ(seen.at("best_value").get<double>(), std::stod(best[0][1]));
  const int pruned = std::stoi(rows(db, "SELECT COUNT(*) FROM trials WHERE state = 'PRUNED'")[0][0]);
  EXPECT_EQ(seen.at("states").value("PRUNED", 0), pruned);
}

// A worker that died mid-trial leaves a RUNNING trial; the next worker on that host marks it FAIL
// and the study goes on to its number of trials.
TEST(Tune, ACrashedWorkersTrialBecomesFailOnResume) {
  TempDir dir;
  write_file(dir / "tune.toml", tune_study("sampler = \"random\"", 3));
  ASSERT_EQ(run_descent({"tune", "tune.toml", "--quiet"}, dir.path()).exit_code, 0);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const int dead = spawn_program("true", {}, dir.path());
  wait_program(dead);  // a pid that no longer runs
  sqlite3* db = nullptr;
  sqlite3_open((dir / "runs/descent.db").c_str(), &db);
  const std::string sql = "INSERT INTO trials (study_id, number, state, datetime_start, worker) VALUES (1, 3, 'RUNNING', 'x', '" +
                          std::string(host) + ":" + std::to_string(dead) + "')";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const auto resumed = run_descent({"tune", "tune.toml", "tune.trials=5", "--quiet"}, dir.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("1 trials of a stopped worker marked FAIL"), std::string::npos) << resumed.err;
  const auto trials = rows(dir / "runs/descent.db", "SELECT number, state FROM trials ORDER BY number");
  ASSERT_EQ(trials.size(), 5u);
  EXPECT_EQ(trials[3][1], "FAIL");
  EXPECT_EQ(trials[4][1], "COMPLETE");
}

TEST(Tune, WorkersSharingASqliteStoreRecordEveryTrialOnce) {
  TempDir dir;
  // Trials long enough that the three workers overlap even on a loaded machine.
  write_file(dir / "tune.toml", tune_study("sampler = \"gp\"\ninitial_trials = 4", 15, 60000));
  std::vector<int> workers;
  for (int w = 0; w < 3; ++w) {
    workers.push_back(spawn_program(descent_binary(), {"tune", "tune.toml", "--quiet"}, dir.path(), dir / fmt::format("worker-{}.err", w)));
  }
  for (int w = 0; w < 3; ++w) EXPECT_EQ(wait_program(workers[w]), 0) << read_file(dir / fmt::format("worker-{}.err", w));
  const auto db = dir / "runs/descent.db";
  expect_trials_recorded_once(rows(db, "SELECT number, state FROM trials ORDER BY number"), 15, /*allow_fail=*/true);
  // A FAIL here is a diverged run, never a lost one.
  EXPECT_EQ(rows(db, "SELECT COUNT(*) FROM trials t JOIN runs r ON r.id = t.run_id WHERE t.state = 'FAIL' AND r.status != 'diverged'")[0][0], "0");
  EXPECT_GE(std::stoi(rows(db, "SELECT COUNT(DISTINCT worker) FROM trials")[0][0]), 2);  // they did share the work
  EXPECT_EQ(rows(db, "SELECT COUNT(*) FROM runs WHERE label LIKE 'trial-%'")[0][0],
            rows(db, "SELECT COUNT(DISTINCT run_id) FROM trials")[0][0]);
}

// A PostgreSQL server of Debian's `postgresql` package, in a temporary folder on loopback (run as the
// postgres user when this test runs as root, since the server refuses root), stopped at scope exit.
class LocalPostgres {
public:
  explicit LocalPostgres(const std::filesystem::path& dir) : dir_(dir / "pg"), port_(40000 + getpid() % 20000) {
    std::filesystem::create_directories(dir_);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::others_exec |
                                          std::filesystem::perms::group_exec);
    if (getuid() == 0) {
      prefix_ = {"runuser", "-u", "postgres", "--"};
      run_program("chown", {"postgres", dir_.string()}, dir);
    }
    started_ = server({"initdb", "-D", (dir_ / "data").string(), "-A", "trust", "-U", "descent"}) == 0 &&
               server({"pg_ctl", "-D", (dir_ / "data").string(), "-l", (dir_ / "log").string(), "-w", "-o",
                       "-k " + dir_.string() + " -p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1", "start"}) == 0;
  }
  ~LocalPostgres() {
    if (started_) server({"pg_ctl", "-D", (dir_ / "data").string(), "-m", "fast", "-w", "stop"});
  }
  bool started() const { return started_; }
  std::string url() const { return "postgresql://descent@127.0.0.1:" + std::to_string(port_) + "/postgres"; }
  std::string query(const std::string& sql) const {
    return run_program("psql", {url(), "-At", "-c", sql}, dir_).out;
  }

private:
  int server(std::vector<std::string> command) {
    command[0] = "/usr/lib/postgresql/15/bin/" + command[0];
    std::vector<std::string> args = prefix_;
    args.insert(args.end(), command.begin(), command.end());
    const std::string program = args.front();
    args.erase(args.begin());
    return run_program(program, args, dir_).exit_code;
  }

  std::filesystem::path dir_;
  int port_;
  std::vector<std::string> prefix_;
  bool started_ = false;
};

TEST(Tune, WorkersOnAPostgresStoreRecordEveryTrialOnce) {
  TempDir dir;
  LocalPostgres postgres(dir.path());
  ASSERT_TRUE(postgres.started()) << read_file(dir / "pg/log");
  write_file(dir / "tune.toml", tune_study("sampler = \"gp\"\ninitial_trials = 3\npruner = \"asha\"", 12, 60000));
  std::vector<int> workers;
  for (int w = 0; w < 2; ++w) {
    // Two "machines": separate run stores, one trial store.
    workers.push_back(spawn_program(descent_binary(), {"tune", "tune.toml", "--quiet", "--trials-store", postgres.url(), "--store",
                                                       "worker" + std::to_string(w) + "/runs.db"}, dir.path(),
                                    dir / fmt::format("worker-{}.err", w)));
  }
  for (int w = 0; w < 2; ++w) EXPECT_EQ(wait_program(workers[w]), 0) << read_file(dir / fmt::format("worker-{}.err", w));
  EXPECT_EQ(postgres.query("SELECT COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number) FROM trials"), "12|12|0|11\n");
  EXPECT_EQ(postgres.query("SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'"), "0\n");
  // A FAIL is a diverged run (its run, in that worker's own store, says so), never a lost one.
  int diverged = 0;
  for (int w = 0; w < 2; ++w) {
    diverged += std::stoi(rows(dir / ("worker" + std::to_string(w) + "/runs.db"), "SELECT COUNT(*) FROM runs WHERE status = 'diverged'")[0][0]);
  }
  EXPECT_EQ(postgres.query("SELECT COUNT(*) FROM trials WHERE state = 'FAIL'"), std::to_string(diverged) + "\n");
  EXPECT_EQ(postgres.query("SELECT COUNT(DISTINCT worker) FROM trials"), "2\n");
  EXPECT_EQ(postgres.query("SELECT COUNT(*) FROM trial_params"), "24\n");
}

TEST(Tune, ThresholdoutAnswersTheObjectiveWithinItsBudget) {
  TempDir dir;
  write_file(dir / "tune.toml", tune_study("sampler = \"random\"\nthresholdout = true\nthreshold = 0.05\nsigma = 0.01\nbudget = 3", 8));
  const auto result = run_descent({"tune", "tune.toml", "--quiet"}, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto db = dir / "runs/descent.db";
  // Each value is the training loss (train and holdout agreed) or the holdout loss plus Laplace noise.
  const auto values = rows(db, "SELECT t.value, tr.value, v.value FROM trials t "
                               "JOIN run_summaries tr ON tr.run_id = t.run_id AND tr.name = 'final_train_loss' "
                               "JOIN run_summaries v ON v.run_id = t.run_id AND v.name = 'final_val_loss' WHERE t.state = 'COMPLETE'");
  ASSERT_FALSE(values.empty());
  int from_holdout = 0;
  for (const auto& row : values) {
    const double answer = std::stod(row[0]), train = std::stod(row[1]), holdout = std::stod(row[2]);
    if (answer == train) continue;
    ++from_holdout;
    EXPECT_NEAR(answer, holdout, 0.2);  // Lap(0.01) beyond 0.2 has probability e^-20
  }
  const auto state = nlohmann::json::parse(rows(db, "SELECT holdout_state FROM tune_studies")[0][0]);
  // Every holdout answer spent one unit of the budget; a spent budget stops the study with a message.
  EXPECT_EQ(state.at("remaining_budget").get<int>(), 3 - from_holdout);
  if (result.err.find("budget of 3 holdout answers is spent") != std::string::npos) {
    EXPECT_EQ(from_holdout, 3);
    EXPECT_LT(std::stoi(rows(db, "SELECT COUNT(*) FROM trials")[0][0]), 8);  // the study stopped early
  }
  EXPECT_LE(from_holdout, 3);
}

TEST(Tune, BadTuneSectionsNameTheKey) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sampler = \"tpe\"", "key 'tune.sampler': 'tpe' is not one of gp, random, grid"},
      {"objective = \"val_loss\"", "key 'tune.objective': 'val_loss' is not one of"},
      {"pruner = \"asha\"\nreduction_factor = 1", "key 'tune.reduction_factor': 1 is out of range"},
      {"acquisition = \"pi\"", "key 'tune.acquisition': 'pi' is not one of ei, ucb, kg"},
  };
  for (const auto& [tune, expected] : cases) {
    write_file(dir / "bad.toml", tune_study(tune, 4));
    const auto result = run_descent({"tune", "bad.toml", "--quiet"}, dir.path());
    EXPECT_EQ(result.exit_code, 2) << tune;
    EXPECT_NE(result.err.find(expected), std::string::npos) << result.err;
  }
  write_file(dir / "bad.toml", tune_study("", 4) + "[[tune.params]]\nname = \"optimizers[0].lrr\"\nlow = 0.1\nhigh = 1.0\n");
  const auto unknown = run_descent({"tune", "bad.toml", "--quiet"}, dir.path());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("lrr"), std::string::npos) << unknown.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs/descent.db"));  // nothing written
}

}  // namespace
}  // namespace descent::testing
