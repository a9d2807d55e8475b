// The study file: a TOML document naming the data, the model, the training budget, the optimizers
// to compare and the schedule. Loading validates every key; errors name the file and the key and
// suggest the nearest valid key. The resolved config (every default filled in) is what each run stores.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "descent/batch/options.hpp"
#include "descent/comm/options.hpp"
#include "descent/core/param_spec.hpp"
#include "descent/data/options.hpp"
#include "descent/diag/options.hpp"
#include "descent/models/options.hpp"
#include "descent/schedule/schedule.hpp"
#include "descent/train/options.hpp"
#include "descent/train/trainer.hpp"
#include "descent/tune/options.hpp"

namespace descent::study {

using ScheduleConfig = schedule::ScheduleSpec;

struct StudyConfig {
  std::string name;
  std::vector<std::uint64_t> seeds = {0};
  data::DataOptions data;
  models::ModelOptions model;
  train::TrainOptions train;
  batch::BatchOptions batch;
  diag::DiagnosticsOptions diagnostics;
  comm::CommOptions comm;
  tune::TuneOptions tune;
  std::vector<train::OptimizerEntry> optimizers;
  ScheduleConfig schedule;
  // [schedules.NAME]: a schedule whose factor multiplies hyperparameter NAME (weight_decay,
  // beta1, momentum, ...) of every optimizer entry that has it.
  std::map<std::string, ScheduleConfig> hyper_schedules;
  std::string source;  // the file it came from, for messages
};

// Reads and validates a study file, applying `key.path=value` overrides first.
StudyConfig load_study_config(const std::filesystem::path& file, std::span<const std::string> overrides = {});
// The same from text; `source` names it in messages.
StudyConfig parse_study_config(std::string_view toml_text, const std::string& source,
                               std::span<const std::string> overrides = {});

nlohmann::json to_json(const StudyConfig& config);
// The study (one optimizer entry, one seed) a stored run's resolved config describes: its study
// name, data, model, training budget and optimizer, read back through the ordinary parser.
StudyConfig study_config_of_run(const nlohmann::json& run_config, const std::string& source);
nlohmann::json schedule_json(const ScheduleConfig& schedule);
// The resolved config of one run: the study with a single optimizer entry and the run's seed.
nlohmann::json run_config_json(const StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed);
// A stable identity for a run's config (threads excluded: they change speed, not the experiment).
std::string run_key(const nlohmann::json& run_config);

// The run of optimizer entry `optimizer_index` with `seed` that a study config describes (no
// checkpoint, no saved model).
train::TrainingRun training_run(const StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed);

}  // namespace descent::study
