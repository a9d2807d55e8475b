// Data-parallel training under `mpirun`: the ranks' runs equal the single-process simulator's run
// bit for bit (same workers, compressor, feedback and seeds), parameters agree across ranks
// (checked inside every run), rank 0 alone writes the store, and misconfigurations fail cleanly.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <signal.h>

#include <chrono>
#include <sstream>
#include <thread>
#include <tuple>

#include "helpers.hpp"

namespace descent::testing {
namespace {

std::string dp_study(const std::string& comm) {
  return "[study]\nname = \"dp\"\nseeds = [3]\n[data]\ndataset = \"gaussian-mixture\"\ntrain_size = 1200\n"
         "test_size = 300\nfeatures = 20\nclasses = 4\n[model]\nhidden = [32]\n[train]\nepochs = 2\nbatch_size = 64\n"
         "log_every = 5\n[[optimizers]]\nname = \"sgd\"\nlr = 0.1\nmomentum = 0.9\n[comm]\n" + comm;
}

// Every metric row of the store's runs except wall times, in a fixed order.
std::vector<std::tuple<long, std::string, double>> stored_results(const std::filesystem::path& db_path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  std::vector<std::tuple<long, std::string, double>> rows;
  const char* sql = "SELECT step, name, value FROM metrics WHERE name NOT IN ('step_time_ms', 'comm_time_ms') "
                    "UNION ALL SELECT -1, name, value FROM run_summaries WHERE name IN "
                    "('final_test_loss', 'final_test_accuracy', 'comm_bytes_per_worker', 'comm_workers', 'steps') "
                    "ORDER BY 1, 2";
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      rows.emplace_back(sqlite3_column_int64(stmt, 0), reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)),
                        sqlite3_column_double(stmt, 2));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

CommandResult mpirun(int processes, const std::vector<std::string>& descent_args, const std::filesystem::path& dir) {
  std::vector<std::string> args = {"--allow-run-as-root", "--oversubscribe", "-np", std::to_string(processes),
                                   descent_binary()};
  args.insert(args.end(), descent_args.begin(), descent_args.end());
  return run_program("mpirun", args, dir);
}

void expect_mpi_equals_simulator(int processes, const std::string& comm) {
  TempDir dir;
  write_file(dir / "dp.toml", dp_study(comm));
  const auto simulated = run_descent({"train", "dp.toml", "--quiet", "--store", "sim/runs.db", "--report-dir", "sim"}, dir.path());
  ASSERT_EQ(simulated.exit_code, 0) << simulated.err;
  const auto distributed = mpirun(processes, {"train", "dp.toml", "--quiet", "--store", "mpi/runs.db", "--report-dir", "mpi"},
                                  dir.path());
  ASSERT_EQ(distributed.exit_code, 0) << distributed.err;
  const auto a = stored_results(dir / "sim/runs.db"), b = stored_results(dir / "mpi/runs.db");
  ASSERT_GT(a.size(), 20u);
  EXPECT_EQ(a, b);
  // Rank 0 alone wrote: one study, one run, one report path on stdout.
  EXPECT_EQ(std::count(distributed.out.begin(), distributed.out.end(), '\n'), 1) << distributed.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "mpi/checkpoints"));
}

TEST(Mpi, TwoRanksEqualTheTwoWorkerSimulatorWithEf21TopK) {
  expect_mpi_equals_simulator(2, "workers = 2\ncompressor = \"topk\"\nratio = 0.02\nfeedback = \"ef21\"\n");
}

// Random compressors share their seeds across ranks, so QSGD's draws match the simulator's too.
TEST(Mpi, FourRanksEqualTheFourWorkerSimulatorWithQsgdAndErrorFeedback) {
  expect_mpi_equals_simulator(4, "workers = 4\ncompressor = \"qsgd\"\nlevels = 8\nfeedback = \"ef\"\n");
}

// Two workers on each of two ranks equal four simulated workers.
TEST(Mpi, SeveralWorkersPerRankEqualTheSimulator) {
  expect_mpi_equals_simulator(2, "workers = 4\ncompressor = \"randk\"\nratio = 0.1\nfeedback = \"ef21-w\"\n"
                                 "smoothness = [1.0, 2.0, 4.0, 8.0]\n");
}

TEST(Mpi, UncompressedAllreduceRecordsDenseTraffic) {
  TempDir dir;
  write_file(dir / "dp.toml", dp_study("workers = 0\n"));  // one worker per rank
  const auto result = mpirun(2, {"train", "dp.toml", "--quiet", "--store", "runs.db"}, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rows = stored_results(dir / "runs.db");
  bool saw_workers = false;
  for (const auto& [step, name, value] : rows) {
    if (name == "comm_workers") saw_workers = value == 2.0;
    if (name == "comm_bits_per_worker") EXPECT_EQ(value, 32.0 * (20 * 32 + 32 + 32 * 4 + 4));
  }
  EXPECT_TRUE(saw_workers);
}

// Ctrl-C reaches every rank; they agree to stop after the same step, keep one checkpoint each
// (with their workers' EF21 state), and the rerun continues to the numbers of an uninterrupted run.
TEST(Mpi, InterruptedRanksResumeFromTheirCheckpointsBitForBit) {
  TempDir dir;
  write_file(dir / "slow.toml",
             "[study]\nname = \"slow\"\n[data]\ndataset = \"gaussian-mixture\"\ntrain_size = 20000\nfeatures = 32\n[model]\n"
             "hidden = [32]\n[train]\nepochs = 2\nbatch_size = 16\nlog_every = 25\ncheckpoint_every = 20\n[[optimizers]]\n"
             "name = \"sgd\"\nlr = 0.05\n[comm]\nworkers = 0\ncompressor = \"topk\"\nratio = 0.05\nfeedback = \"ef21\"\n");
  ASSERT_EQ(mpirun(2, {"train", "slow.toml", "--quiet", "--store", "straight/runs.db"}, dir.path()).exit_code, 0);
  const std::vector<std::string> args = {"--allow-run-as-root", "--oversubscribe", "-np", "2", descent_binary(), "train", "slow.toml",
                                         "--quiet", "--store", "resumed/runs.db"};
  const int launcher = spawn_program("mpirun", args, dir.path());
  const auto checkpoints = dir / "resumed/checkpoints";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  auto both_saved = [&] {
    int found = 0;
    if (std::filesystem::exists(checkpoints)) {
      for (const auto& entry : std::filesystem::directory_iterator(checkpoints)) found += entry.path().extension() == ".pt";
    }
    return found == 2;
  };
  while (!both_saved() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(both_saved());
  // The ranks are mpirun's children: interrupt them as a terminal's Ctrl-C would.
  const auto children = run_program("pgrep", {"-P", std::to_string(launcher)}, dir.path()).out;
  std::istringstream pids(children);
  int ranks = 0;
  for (std::string pid; pids >> pid; ++ranks) kill(std::stoi(pid), SIGINT);
  EXPECT_EQ(ranks, 2);
  EXPECT_NE(wait_program(launcher), 0);
  ASSERT_TRUE(std::filesystem::exists(checkpoints));
  const auto resumed = mpirun(2, {"train", "slow.toml", "--quiet", "--store", "resumed/runs.db"}, dir.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(".rank0.pt at step"), std::string::npos) << resumed.err;  // each rank resumed from its own file
  EXPECT_NE(resumed.err.find(".rank1.pt at step"), std::string::npos) << resumed.err;
  EXPECT_EQ(stored_results(dir / "resumed/runs.db"), stored_results(dir / "straight/runs.db"));
  int left = 0;  // every rank removes its own checkpoint once the run has finished
  for (const auto& entry : std::filesystem::directory_iterator(checkpoints)) left += entry.path().extension() == ".pt";
  EXPECT_EQ(left, 0);
}

TEST(Mpi, WorkersThatDoNotDivideOverRanksFailWithTheKey) {
  TempDir dir;
  write_file(dir / "dp.toml", dp_study("workers = 3\ncompressor = \"topk\"\nfeedback = \"ef21\"\n"));
  const auto result = mpirun(2, {"train", "dp.toml", "--quiet", "--store", "runs.db"}, dir.path());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("dp.toml: key 'comm.workers': 3 workers"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs.db"));
}

}  // namespace
}  // namespace descent::testing
