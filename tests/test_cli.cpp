// The descent program end to end: exit codes, error messages, studies that skip finished runs,
// and resuming after the process is killed mid-study.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "helpers.hpp"

namespace descent::testing {
namespace {

std::string fashion_study(const std::filesystem::path& data_dir) {
  return "[study]\nname = \"cli\"\nseeds = [0, 1]\n[data]\ndir = \"" + data_dir.string() +
         "\"\nvalidation = 20\n[model]\nhidden = [16]\n[train]\nepochs = 1\nbatch_size = 32\n"
         "[[optimizers]]\nname = \"sgd\"\nlr = 0.05\nmomentum = 0.9\n[[optimizers]]\nname = \"adam\"\n";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `pattern` with its one "{}" replaced by `count`.
std::string fmt_count(const std::string& pattern, int count) {
  std::string out = pattern;
  return out.replace(out.find("{}"), 2, std::to_string(count));
}

// Runs one SQL query returning a single integer or text.
std::string query(const std::filesystem::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  std::string answer;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(stmt, 0);
    answer = text ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return answer;
}

// A study whose runs take a fraction of a second to a few seconds each: long enough to kill or
// interrupt one mid-study.
std::string slow_study(const std::string& seeds, int epochs) {
  return "[study]\nname = \"slow\"\nseeds = " + seeds +
         "\n[data]\ndataset = \"gaussian-mixture\"\ntrain_size = 20000\nfeatures = 64\n[model]\nhidden = [64]\n"
         "[train]\nepochs = " + std::to_string(epochs) + "\nbatch_size = 16\n[[optimizers]]\nname = \"sgd\"\n";
}

// Starts `descent ARGS...` in `dir` without waiting (output discarded); returns its pid.
pid_t spawn_descent(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  return static_cast<pid_t>(spawn_program(descent_binary(), args, dir));
}

// Polls `sql` on the store until it answers `expected` (true) or the deadline passes (false).
bool wait_for(const std::filesystem::path& db, const std::string& sql, const std::string& expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(db) && query(db, sql) == expected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A report folder that cannot be written is found before any run trains, and no store is left.
TEST(Cli, UnwritableReportDirStopsBeforeTraining) {
  TempDir dir;
  write_file(dir / "s.toml", slow_study("[0]", 1));
  // A folder under a plain file cannot exist, whoever runs the test (root ignores permissions).
  write_file(dir / "plain", "not a folder");
  const auto result = run_descent({"study", "s.toml", "--report-dir", "plain/reports"}, dir.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.err, "plain/reports/slow: cannot create this folder")) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs/descent.db"));
}

// Someone else's SQLite file given as the store is refused before anything is written to it.
TEST(Cli, ForeignSqliteStoreIsLeftUntouched) {
  TempDir dir;
  const auto foreign = dir / "shop.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('ada');", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const auto before = std::filesystem::file_size(foreign);
  write_file(dir / "s.toml", slow_study("[0]", 1));
  for (const std::vector<std::string>& args : {std::vector<std::string>{"study", "s.toml", "--store", "shop.db"},
                                               std::vector<std::string>{"report", "slow", "--store", "shop.db"}}) {
    const auto result = run_descent(args, dir.path());
    EXPECT_EQ(result.exit_code, 1) << args[0];
    EXPECT_TRUE(contains(result.err, "shop.db: not a descent store: it holds a table 'customers'")) << result.err;
  }
  EXPECT_EQ(query(foreign, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'"), "customers");
  EXPECT_EQ(query(foreign, "PRAGMA journal_mode"), "delete");
  EXPECT_EQ(std::filesystem::file_size(foreign), before);
}

// Three processes started on one study at once split its runs: each run is trained exactly once
// (run ids are never reused, so a second attempt would show as an id past the count), and all of
// them exit 0. Before leases one process's begin_run deleted another's running row.
TEST(Cli, ConcurrentProcessesOnOneStudyTrainEachRunOnce) {
  TempDir dir;
  write_file(dir / "s.toml", slow_study("[0, 1, 2, 3, 4, 5]", 2));
  std::vector<pid_t> pids;
  for (int p = 0; p < 3; ++p) pids.push_back(spawn_descent({"study", "s.toml", "--quiet"}, dir.path()));
  for (const pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  const auto db = dir / "runs/descent.db";
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE status = 'finished'"), "6");
  EXPECT_EQ(query(db, "SELECT max(id) FROM runs"), "6") << "a run was trained twice";
  EXPECT_EQ(query(db, "SELECT count(*) FROM leases"), "0");
  EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
  EXPECT_TRUE(!std::filesystem::exists(dir / "runs/checkpoints") || std::filesystem::is_empty(dir / "runs/checkpoints"));
}

TEST(Cli, UsageErrorsExitWithTwo) {
  TempDir dir;
  EXPECT_EQ(run_descent({"--help"}, dir.path()).exit_code, 0);
  EXPECT_EQ(run_descent({"study", "--help"}, dir.path()).exit_code, 0);
  EXPECT_EQ(run_descent({}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_descent({"frobnicate"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_descent({"list", "widgets"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_descent({"study"}, dir.path()).exit_code, 2);
  const auto missing = run_descent({"study", "nope.toml"}, dir.path());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.err, "nope.toml")) << missing.err;
  EXPECT_EQ(run_descent({"study", "x.toml", "--threads", "0"}, dir.path()).exit_code, 2);
  // An unknown command is named, with the nearest one.
  const auto typo = run_descent({"studdy", "x.toml"}, dir.path());
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_TRUE(contains(typo.err, "unknown command 'studdy' (did you mean 'study'?)")) << typo.err;
  // An empty --store or --report-dir would write nowhere (or into the working folder).
  write_file(dir / "x.toml", "[study]\nname = \"x\"\n[[optimizers]]\nname = \"sgd\"\n");
  for (const char* option : {"--store", "--report-dir"}) {
    const auto empty = run_descent({"study", "x.toml", option, ""}, dir.path());
    EXPECT_EQ(empty.exit_code, 2) << option;
    EXPECT_TRUE(contains(empty.err, std::string(option) + ": must not be empty")) << empty.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "runs"));
  // Number checks state their bound in a few characters.
  const auto every = run_descent({"diagnose", "x.toml", "--every", "0"}, dir.path());
  EXPECT_EQ(every.exit_code, 2);
  EXPECT_TRUE(contains(every.err, "--every: must be a number > 0")) << every.err;
  EXPECT_LT(every.err.size(), 300u) << every.err;
}

TEST(Cli, BadConfigsExitWithTwoAndNameTheKey) {
  TempDir dir;
  write_file(dir / "bad.toml", "[study]\nname = \"b\"\n[train]\nepohcs = 3\n[[optimizers]]\nname = \"sgd\"\n");
  const auto result = run_descent({"study", "bad.toml"}, dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.err, "bad.toml: unknown key 'train.epohcs' (did you mean 'train.epochs'?)")) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs/descent.db"));

  write_file(dir / "good.toml", fashion_study(dir / "data"));
  const auto override_result = run_descent({"study", "good.toml", "optimizers[1].beta1=2"}, dir.path());
  EXPECT_EQ(override_result.exit_code, 2);
  EXPECT_TRUE(contains(override_result.err, "key 'optimizers[1].beta1': 2 is out of range")) << override_result.err;
}

TEST(Cli, MissingDataExitsWithOneAndWritesNothing) {
  TempDir dir;
  write_file(dir / "study.toml", fashion_study(dir / "no-such-dir"));
  const auto result = run_descent({"study", "study.toml"}, dir.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.err, "no-such-dir: data directory not found")) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs/descent.db"));

  write_tiny_fashion_mnist(dir / "data", 100, 40);
  std::filesystem::remove(dir / "data/t10k-labels-idx1-ubyte.gz");
  write_file(dir / "study.toml", fashion_study(dir / "data"));
  const auto partial = run_descent({"study", "study.toml"}, dir.path());
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_TRUE(contains(partial.err, "t10k-labels-idx1-ubyte: file not found")) << partial.err;
}

TEST(Cli, ListAndVersion) {
  TempDir dir;
  const auto optimizers = run_descent({"list", "optimizers"}, dir.path());
  EXPECT_EQ(optimizers.exit_code, 0);
  EXPECT_TRUE(contains(optimizers.out, "adam")) << optimizers.out;
  EXPECT_TRUE(contains(optimizers.out, "beta2")) << optimizers.out;
  // Optimizers added by a description alone are listed with their papers.
  EXPECT_TRUE(contains(optimizers.out, "lamb\n")) << optimizers.out;
  EXPECT_TRUE(contains(optimizers.out, "adabelief\n")) << optimizers.out;
  EXPECT_TRUE(contains(optimizers.out, "paper: You et al., Large Batch Optimization for Deep Learning")) << optimizers.out;
  for (const char* what : {"schedules", "models", "datasets"}) EXPECT_EQ(run_descent({"list", what}, dir.path()).exit_code, 0);
  const auto version = run_descent({"version"}, dir.path());
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(contains(version.out, "descent 0.1.0")) << version.out;
  EXPECT_TRUE(contains(version.out, "fused optimizer loops: ")) << version.out;
  EXPECT_TRUE(contains(version.out, "(this CPU: sse2")) << version.out;
}

TEST(Cli, StudyThenRerunSkipsFinishedRunsAndRewritesTheReport) {
  TempDir dir;
  write_tiny_fashion_mnist(dir / "data", 200, 60);
  write_file(dir / "study.toml", fashion_study(dir / "data"));
  const auto first = run_descent({"study", "study.toml"}, dir.path());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::filesystem::path html = dir / "runs/reports/cli/report.html";
  EXPECT_EQ(first.out, "runs/reports/cli/report.html\n");
  EXPECT_TRUE(std::filesystem::exists(html));
  EXPECT_TRUE(std::filesystem::exists(dir / "runs/reports/cli/report.md"));
  EXPECT_EQ(query(dir / "runs/descent.db", "SELECT count(*) FROM runs WHERE status = 'finished'"), "4");
  const std::string run_ids = query(dir / "runs/descent.db", "SELECT group_concat(id) FROM runs");

  std::filesystem::remove(html);
  const auto second = run_descent({"study", "study.toml"}, dir.path());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.err, "4 of 4 runs already in")) << second.err;
  EXPECT_TRUE(contains(second.err, "ran 0 runs")) << second.err;
  EXPECT_TRUE(std::filesystem::exists(html));
  EXPECT_EQ(query(dir / "runs/descent.db", "SELECT group_concat(id) FROM runs"), run_ids);

  // An override that changes the experiment makes new runs; one that only changes threads does not.
  const auto threads = run_descent({"study", "study.toml", "--threads", "2"}, dir.path());
  EXPECT_TRUE(contains(threads.err, "ran 0 runs")) << threads.err;

  const auto report = run_descent({"report", "cli"}, dir.path());
  EXPECT_EQ(report.exit_code, 0) << report.err;
  const auto unknown = run_descent({"report", "clj"}, dir.path());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "no study named 'clj' (did you mean 'cli'?)")) << unknown.err;
  EXPECT_EQ(run_descent({"report", "cli", "--store", "elsewhere.db"}, dir.path()).exit_code, 2);

  const auto single = run_descent({"train", "study.toml", "--optimizer", "adam", "--seed", "9"}, dir.path());
  EXPECT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(query(dir / "runs/descent.db", "SELECT count(*) FROM runs WHERE seed = 9 AND label = 'adam'"), "1");
  EXPECT_EQ(run_descent({"train", "study.toml", "--optimizer", "lion"}, dir.path()).exit_code, 2);
  EXPECT_EQ(query(dir / "runs/descent.db", "PRAGMA integrity_check"), "ok");
}

// A store written by the version before the architecture change (tests/data/legacy_store, at
// b992d42): rerunning its studies finds every run by its key and trains nothing.
TEST(Cli, LegacyStoreStillSkipsItsFinishedRuns) {
  TempDir dir;
  const std::filesystem::path legacy = std::filesystem::path(DESCENT_SOURCE_DIR) / "tests/data/legacy_store";
  std::filesystem::copy_file(legacy / "runs.db", dir / "runs.db");
  const std::string keys = query(dir / "runs.db", "SELECT group_concat(key) FROM (SELECT key FROM runs ORDER BY id)");
  const std::vector<std::pair<std::string, int>> studies = {{"features", 6}, {"batches", 3}, {"parallel", 2}, {"text", 1}};
  for (const auto& [study, runs] : studies) {
    const auto rerun = run_descent({"study", (legacy / (study + ".toml")).string(), "--store", "runs.db", "--report-dir", "reports"},
                                   dir.path());
    EXPECT_EQ(rerun.exit_code, 0) << study << ": " << rerun.err;
    EXPECT_TRUE(contains(rerun.err, fmt_count("{} of", runs) + fmt_count(" {} runs already in", runs))) << study << ": " << rerun.err;
    EXPECT_TRUE(contains(rerun.err, "ran 0 runs")) << study << ": " << rerun.err;
  }
  EXPECT_EQ(query(dir / "runs.db", "SELECT group_concat(key) FROM (SELECT key FROM runs ORDER BY id)"), keys);
}

TEST(Cli, LrFindRefineAndRepro) {
  TempDir dir;
  write_file(dir / "s.toml", "[study]\nname = \"tools\"\n[data]\ndataset = \"gaussian-mixture\"\n[train]\nepochs = 2\n"
                             "[[optimizers]]\nname = \"sgd\"\nlr = 0.1\n");
  const auto found = run_descent({"lr-find", "s.toml", "--steps", "50"}, dir.path());
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_GT(std::stod(found.out), 0.0);
  EXPECT_TRUE(std::filesystem::exists(dir / "runs/reports/lr-find-tools/report.html"));
  EXPECT_EQ(run_descent({"lr-find", "s.toml", "--start", "1", "--end", "0.1"}, dir.path()).exit_code, 2);

  ASSERT_EQ(run_descent({"study", "s.toml", "--quiet"}, dir.path()).exit_code, 0);
  const auto refined = run_descent({"refine", "1"}, dir.path());
  ASSERT_EQ(refined.exit_code, 0) << refined.err;
  EXPECT_EQ(refined.out, "runs/schedules/run-1-refined.json\n");
  write_file(dir / "r.toml", "[study]\nname = \"refined\"\n[data]\ndataset = \"gaussian-mixture\"\n[[optimizers]]\nname = \"sgd\"\n"
                             "[schedule]\nkind = \"refined\"\nfile = \"runs/schedules/run-1-refined.json\"\n");
  EXPECT_EQ(run_descent({"study", "r.toml", "--quiet"}, dir.path()).exit_code, 0);
  EXPECT_EQ(run_descent({"refine", "99"}, dir.path()).exit_code, 2);

  const auto diagnosed = run_descent({"diagnose", "s.toml", "--every", "10", "--quiet"}, dir.path());
  ASSERT_EQ(diagnosed.exit_code, 0) << diagnosed.err;
  EXPECT_EQ(query(dir / "runs/descent.db", "SELECT count(*) FROM metrics WHERE name = 'sharpness'"), "3");  // 32 steps
  EXPECT_TRUE(contains(read_file(dir / "runs/reports/tools-diagnose/report.html"), "Sharpness"));

  const auto listing = run_descent({"repro"}, dir.path());
  EXPECT_EQ(listing.exit_code, 0);
  for (const char* name : {"linear-decay", "adadagrad", "ghost-bn"}) EXPECT_TRUE(contains(listing.out, name)) << listing.out;
  const auto unknown = run_descent({"repro", "linear-decey"}, dir.path());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "did you mean 'linear-decay'")) << unknown.err;
}

TEST(Cli, KilledStudyResumesWithoutRerunningFinishedRuns) {
  TempDir dir;
  write_file(dir / "slow.toml", slow_study("[0, 1, 2]", 4));
  const pid_t pid = spawn_descent({"study", "slow.toml"}, dir.path());
  const auto db = dir / "runs/descent.db";
  // Kill mid-study: at least one run stored and the next one started (its 'running' row exists).
  // A loaded machine may let more than one finish before the poll sees it; the checks allow that.
  const bool mid_study = wait_for(db,
                                  "SELECT (SELECT count(*) FROM runs WHERE status = 'finished') >= 1 AND "
                                  "(SELECT count(*) FROM runs WHERE status = 'running') = 1",
                                  "1");
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(mid_study) << "never saw a finished run and a running one together";
  const int finished = std::stoi(query(db, "SELECT count(*) FROM runs WHERE status = 'finished'"));
  ASSERT_LT(finished, 3);
  const std::string finished_before = query(db, "SELECT group_concat(id || '@' || finished_at) FROM runs WHERE status = 'finished'");
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE status = 'running'"), "1");

  const auto resumed = run_descent({"study", "slow.toml"}, dir.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(contains(resumed.err, fmt_count("{} of 3 runs already in", finished))) << resumed.err;
  EXPECT_TRUE(contains(resumed.err, fmt_count("ran {} runs", 3 - finished))) << resumed.err;
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE status = 'finished'"), "3");
  // The runs finished before the kill were not rerun: same ids, same finish times.
  EXPECT_EQ(query(db, "SELECT group_concat(id || '@' || finished_at) FROM runs WHERE status = 'finished' AND id IN (SELECT id "
                      "FROM runs ORDER BY id LIMIT " + std::to_string(finished) + ")"),
            finished_before);
  EXPECT_EQ(query(db, "SELECT count(*) FROM metrics WHERE run_id NOT IN (SELECT id FROM runs)"), "0");
  EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
}

// The experiments that need no training data run in seconds: each states its thresholds first,
// prints a verdict per check, and writes its report with charts.
// `descent diagnose RUN_ID` probes the final parameters a run kept with train.save_model, and
// `descent match RUN_A RUN_B` weight-matches two of them and writes the barrier plot.
TEST(Cli, DiagnoseAndMatchStoredRunsParameters) {
  TempDir dir;
  write_tiny_fashion_mnist(dir / "data", 120, 40);
  write_file(dir / "study.toml", fashion_study(dir / "data"));
  ASSERT_EQ(run_descent({"study", "study.toml", "train.save_model=true", "--quiet"}, dir.path()).exit_code, 0);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "runs/models"), std::filesystem::directory_iterator{}), 4);
  const auto diagnosed = run_descent({"diagnose", "2"}, dir.path());
  ASSERT_EQ(diagnosed.exit_code, 0) << diagnosed.err;
  EXPECT_TRUE(contains(diagnosed.out, "runs/reports/diagnose-run-2/report.md"));
  EXPECT_TRUE(contains(diagnosed.err, "sharpness"));
  EXPECT_TRUE(contains(diagnosed.err, "hessian_trace"));
  EXPECT_TRUE(contains(read_file(dir / "runs/reports/diagnose-run-2/report.html"), "Hessian spectral density"));
  EXPECT_EQ(run_descent({"diagnose", "99"}, dir.path()).exit_code, 2);
  const auto matched = run_descent({"match", "1", "2"}, dir.path());
  ASSERT_EQ(matched.exit_code, 0) << matched.err;
  EXPECT_TRUE(contains(matched.out, "runs/reports/match-1-2/report.md"));
  EXPECT_TRUE(contains(matched.err, "loss_barrier_matched")) << matched.err;
  EXPECT_TRUE(contains(read_file(dir / "runs/reports/match-1-2/report.html"), "after weight matching"));
  EXPECT_EQ(run_descent({"match", "1", "99"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_descent({"match", "1"}, dir.path()).exit_code, 2);
  // A run that kept no parameters says how to get them.
  ASSERT_EQ(run_descent({"study", "study.toml", "study.name=\"plain\"", "--quiet"}, dir.path()).exit_code, 0);
  const auto plain = run_descent({"diagnose", "5"}, dir.path());
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_TRUE(contains(plain.err, "rerun it with train.save_model=true")) << plain.err;
  EXPECT_EQ(run_descent({"match", "1", "5"}, dir.path()).exit_code, 1);
}

// `descent diagnose FILE --coord-check`: the study file's MLP at each width, a report with one chart
// per layer; mup with no base_width takes the smallest width as its base; a model without a width
// and a run id are refused.
TEST(Cli, DiagnoseCoordinateCheckSweepsTheWidth) {
  TempDir dir;
  write_tiny_fashion_mnist(dir / "data", 120, 40);
  write_file(dir / "study.toml", fashion_study(dir / "data"));
  const auto checked = run_descent({"diagnose", "study.toml", "--coord-check", "--widths", "8,16,32", "--steps", "2", "--seeds", "1",
                                    "model.hidden=[16,16]", "model.parameterization=\"mup\""},
                                   dir.path());
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_TRUE(contains(checked.out, "runs/reports/cli-coord-check/report.md"));
  for (const char* layer : {"hidden1", "hidden2", "output"}) EXPECT_TRUE(contains(checked.err, layer)) << checked.err;
  const std::string md = read_file(dir / "runs/reports/cli-coord-check/report.md");
  EXPECT_TRUE(contains(md, "parameterization mup (base width 8)")) << md;
  EXPECT_TRUE(contains(md, "2 x [width]")) << md;
  EXPECT_TRUE(contains(read_file(dir / "runs/reports/cli-coord-check/report.html"), "hidden2: mean |h_t - h_0| against width"));
  std::string cnn_study = fashion_study(dir / "data");
  cnn_study.replace(cnn_study.find("hidden = [16]"), 13, "kind = \"cnn\"");
  write_file(dir / "cnn.toml", cnn_study);
  const auto cnn = run_descent({"diagnose", "cnn.toml", "--coord-check"}, dir.path());
  EXPECT_EQ(cnn.exit_code, 2);
  EXPECT_TRUE(contains(cnn.err, "model.kind 'cnn' has no width to sweep")) << cnn.err;
  EXPECT_EQ(run_descent({"diagnose", "7", "--coord-check"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_descent({"diagnose", "study.toml", "--coord-check", "--widths", "8,0"}, dir.path()).exit_code, 2);
}

// [model] kind = "neural_ode" on [data] dataset = "spirals" trains like any study; its solver is a
// checked choice, and its keys belong to it alone.
TEST(Cli, NeuralOdeStudyOnSpirals) {
  TempDir dir;
  write_file(dir / "ode.toml",
             "[study]\nname = \"ode\"\nseeds = [0]\n[data]\ndataset = \"spirals\"\ntrain_size = 200\ntest_size = 100\n"
             "[model]\nkind = \"neural_ode\"\nhidden = [16]\nactivation = \"tanh\"\naugment = 1\node_steps = 4\n"
             "[train]\nepochs = 2\nbatch_size = 50\n[[optimizers]]\nname = \"adam\"\nlr = 0.01\n");
  const auto trained = run_descent({"study", "ode.toml", "--quiet"}, dir.path());
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_EQ(query(dir / "runs/descent.db", "SELECT status FROM runs WHERE id = 1"), "finished");
  const auto bad = run_descent({"study", "ode.toml", "model.ode_solver=\"rk45\"", "--quiet"}, dir.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "ode_solver")) << bad.err;
  EXPECT_EQ(run_descent({"study", "ode.toml", "model.kind=\"mlp\"", "--quiet"}, dir.path()).exit_code, 2) << "augment is neural_ode's key";
  EXPECT_TRUE(contains(run_descent({"list", "models"}, dir.path()).out, "neural_ode"));
  EXPECT_TRUE(contains(run_descent({"list", "datasets"}, dir.path()).out, "spirals"));
}

// The fast experiments: thresholds printed before the measurements, a report, and every check's
// verdict as tests/golden/repro_verdicts.json records it (a verdict that changes, either way, is a
// decision to record there, never an accident); the exit status is the verdict.
// `descent repro --all --budget fast` runs every fast experiment, each printing its criteria before
// it measures, and writes the summary page; every check's verdict must equal the golden one, so a
// verdict that changes either way is a decision recorded in tests/golden/repro_verdicts.json.
TEST(Cli, FastReproExperimentsRunReportAndKeepTheirVerdicts) {
  TempDir dir;
  std::ifstream in(std::string(DESCENT_SOURCE_DIR) + "/tests/golden/repro_verdicts.json");
  ASSERT_TRUE(in) << "missing tests/golden/repro_verdicts.json";
  const auto golden = nlohmann::json::parse(in);
  const auto result = run_descent({"repro", "--all", "--budget", "fast"}, dir.path());
  const auto summary_dir = dir / "runs/reports/repro-summary";
  ASSERT_TRUE(std::filesystem::exists(summary_dir / "index.html")) << result.out << result.err;
  std::ifstream summary_file(summary_dir / "summary.json");
  const auto summary = nlohmann::json::parse(summary_file);
  bool all_pass = true;
  for (const auto& [name, verdicts] : golden.items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(summary.contains(name)) << "the fast budget no longer runs " << name;
    EXPECT_EQ(summary[name]["error"], "");
    EXPECT_EQ(summary[name]["checks"], verdicts)
        << "the verdicts changed; if that is meant, record it in tests/golden/repro_verdicts.json\n"
        << result.out;
    for (const auto& [check, verdict] : verdicts.items()) all_pass = all_pass && verdict == "PASS";
    EXPECT_TRUE(std::filesystem::exists(dir / ("runs/reports/repro-" + name + "/report.md")));
    EXPECT_TRUE(std::filesystem::exists(dir / ("runs/reports/repro-" + name + "/report.html")));
    const auto header = result.out.find("# descent repro " + name + "\n");
    ASSERT_NE(header, std::string::npos);
    EXPECT_LT(result.out.find("Pass criteria (fixed before running)", header), result.out.find("Measured:", header));
  }
  EXPECT_EQ(summary.size(), golden.size()) << "a fast experiment has no golden verdicts";
  EXPECT_EQ(result.exit_code, all_pass ? 0 : 1) << result.err;
}

TEST(Cli, ReproRejectsUnknownExperimentsAndBudgets) {
  TempDir dir;
  const auto unknown = run_descent({"repro", "diffgrad-function"}, dir.path());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("did you mean 'diffgrad-functions'"), std::string::npos) << unknown.err;
  const auto budget = run_descent({"repro", "--all", "--budget", "huge"}, dir.path());
  EXPECT_EQ(budget.exit_code, 2) << budget.err;
  const auto both = run_descent({"repro", "sso", "--all"}, dir.path());
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs/reports")) << "a usage error wrote reports";
}

// Ctrl-C: the current run is recorded as failed ("interrupted"), the process exits 130, the store
// stays sound, and the next invocation reruns that run.
// Ctrl-C exits 130 and SIGTERM (what batch schedulers send first) 143; both record the current
// run as interrupted, and the rerun resumes.
TEST(Cli, InterruptedStudyExits130Or143AndResumes) {
  for (const int signal : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(signal);
    TempDir dir;
    write_file(dir / "slow.toml", slow_study("[0, 1]", 6));
    const pid_t pid = spawn_descent({"study", "slow.toml"}, dir.path());
    const auto db = dir / "runs/descent.db";
    ASSERT_TRUE(wait_for(db, "SELECT count(*) FROM runs WHERE status = 'running'", "1"));
    kill(pid, signal);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + signal);
    EXPECT_EQ(query(db, "SELECT message FROM runs WHERE status = 'failed'"), "interrupted");
    EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
    const auto resumed = run_descent({"study", "slow.toml", "--quiet"}, dir.path());
    EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE status = 'finished'"), "2");
  }
}

}  // namespace
}  // namespace descent::testing
