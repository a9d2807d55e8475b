// The training loop: one run of one optimizer with one seed on one dataset. No LibTorch in this
// header: the study runner and the CLI call it without compiling LibTorch's headers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "descent/batch/options.hpp"
#include "descent/comm/options.hpp"
#include "descent/core/metrics.hpp"
#include "descent/data/dataset.hpp"
#include "descent/diag/options.hpp"
#include "descent/models/options.hpp"
#include "descent/schedule/schedule.hpp"
#include "descent/train/callbacks.hpp"
#include "descent/train/options.hpp"

namespace descent::models {
struct Model;
}

namespace descent::train {

struct TrainingRun {
  models::ModelOptions model;
  TrainOptions train;
  OptimizerEntry optimizer;
  schedule::ScheduleSpec schedule;  // of the learning rate
  std::uint64_t seed = 0;
  batch::BatchOptions batch;
  // Schedules of other hyperparameters: the factor multiplies the configured value.
  std::map<std::string, schedule::ScheduleSpec> hyper_schedules;
  diag::DiagnosticsOptions diagnostics;
  // Data-parallel workers and gradient compression; workers must be resolved (>= 1).
  comm::CommOptions comm;
  // With train.checkpoint_every > 0: where the run's checkpoint lives. A run that finds one there
  // continues from it and ends with the same numbers as a run that never stopped.
  std::filesystem::path checkpoint;
  // Also evaluate the whole training split at the end (final_train_loss, final_train_accuracy):
  // Thresholdout compares the holdout's value with the training set's.
  bool evaluate_train = false;
  // Where a finished run's parameters go (empty: nowhere): what `descent diagnose RUN` loads.
  std::filesystem::path model_path;
};

// Loads parameters saved through TrainingRun::model_path into a model of the same config.
// Throws Error naming the file when it is missing or does not fit the model.
void load_model(models::Model& model, const std::filesystem::path& path);

struct RunResult {
  RunEnd end = RunEnd::finished;
  std::int64_t steps = 0;
  std::optional<std::int64_t> diverged_step;  // the step whose loss was NaN or infinite
  std::vector<MetricRow> metrics;             // finite values only
  std::map<std::string, double> summary;
  double wall_seconds = 0.0;
};

// Trains from scratch. Same run, same splits and same thread count give bit-identical results.
RunResult train(const TrainingRun& run, const data::Splits& splits, std::span<Callback* const> callbacks = {});

// Steps a run will take: epochs x batches per epoch, capped by train.max_steps.
std::int64_t planned_steps(const TrainOptions& train, std::int64_t train_size);

}  // namespace descent::train
