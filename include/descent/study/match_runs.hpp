// `descent match RUN_A RUN_B`: weight matching (Git Re-Basin) between two stored runs of the same
// MLP or CNN: B's hidden units permuted to match A's, then the test loss and accuracy along the
// straight line from A to B, before and after. Prints the figures and writes
// runs/reports/match-A-B/report.md and report.html (with the barrier plot).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace descent::study {

struct MatchRunsOptions {
  std::filesystem::path store_path = "runs/descent.db";
  std::filesystem::path report_dir = "runs/reports";
  std::int64_t path_points = 25;
  std::uint64_t seed = 0;  // the order of the permutation visits
  int threads = 1;
};

struct MatchRunsResult {
  std::map<std::string, double> values;  // loss_barrier, loss_barrier_matched, distance, distance_matched, ...
  std::filesystem::path report;
};

// Throws Error (usage) for an unknown run, ConfigError when the runs' models differ or cannot be
// permuted, or when the task is not classification.
MatchRunsResult match_runs(std::int64_t run_a, std::int64_t run_b, const MatchRunsOptions& options);

}  // namespace descent::study
