// Runs a study: every optimizer entry with every seed, each run stored as it ends; finished runs
// of an earlier invocation are skipped, unfinished ones rerun. Ends by writing the report.
// Under mpirun every rank trains each run data-parallel (comm.workers); rank 0 alone reads and
// writes the store and the report, and tells the others which runs to do.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "descent/data/dataset.hpp"
#include "descent/report/report.hpp"
#include "descent/study/config.hpp"

namespace descent::study {

struct StudyOptions {
  std::filesystem::path store_path = "runs/descent.db";
  std::filesystem::path report_dir = "runs/reports";
  bool progress = true;
};

struct StudyOutcome {
  int ran = 0;
  int skipped = 0;  // finished or diverged in an earlier invocation
  int elsewhere = 0;  // claimed by another process running the same study (its lease was alive)
  int diverged = 0;
  int failed = 0;
  bool interrupted = false;
  bool leader = true;  // under MPI only rank 0 stores runs and writes the report
  report::ReportPaths report;
};

StudyOutcome run_study(const StudyConfig& config, const StudyOptions& options);

// Where a run's parameters are kept with train.save_model: beside the store, by study and run key.
std::filesystem::path model_path(const std::filesystem::path& store_path, const std::string& study, const std::string& run_key);

// Runs one entry with one seed and stores it (descent train).
StudyOutcome run_single(const StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed,
                        const StudyOptions& options);

}  // namespace descent::study
