// A study's resolved config as JSON (stored with each run; its canonical dump is the run key)
// and back: each section is written and read through its options' describe() (core/fields.hpp).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "config_fields.hpp"
#include "descent/comm/feedback.hpp"
#include "descent/core/hash.hpp"
#include "descent/models/catalog.hpp"
#include "descent/study/config.hpp"

namespace descent::study {
namespace {

template <class Options, class... Lists>
nlohmann::json section(Options options, const Lists&... lists) {  // a copy: describe() may normalize
  nlohmann::json out = nlohmann::json::object();
  JsonWriter writer(out);
  describe(options, writer, lists...);
  return out;
}

template <class Options, class... Lists>
void read_section(const nlohmann::json& in, const char* key, Options& options, const Lists&... lists) {
  if (!in.contains(key)) return;
  JsonReader reader(in.at(key));
  describe(options, reader, lists...);
}

}  // namespace

nlohmann::json schedule_json(const ScheduleConfig& schedule) {
  nlohmann::json out = {{"kind", schedule.kind}, {"params", schedule.params}};
  if (!schedule.milestones.empty()) out["milestones"] = schedule.milestones;
  if (!schedule.values.empty()) out["values"] = schedule.values;
  if (schedule.kind == "join") {
    out["boundaries"] = schedule.boundaries;
    out["parts"] = nlohmann::json::array();
    for (const auto& part : schedule.parts) out["parts"].push_back(schedule_json(part));
  }
  return out;
}

ScheduleConfig schedule_from_json(const nlohmann::json& json) {
  ScheduleConfig schedule;
  schedule.kind = json.at("kind").get<std::string>();
  schedule.params = json.at("params").get<ParamValues>();
  schedule.milestones = json.value("milestones", std::vector<std::int64_t>{});
  schedule.values = json.value("values", std::vector<double>{});
  schedule.boundaries = json.value("boundaries", std::vector<std::int64_t>{});
  const nlohmann::json parts = json.value("parts", nlohmann::json::array());
  for (const auto& part : parts) schedule.parts.push_back(schedule_from_json(part));
  return schedule;
}

nlohmann::json to_json(const StudyConfig& config) {
  nlohmann::json optimizers = nlohmann::json::array();
  for (const auto& entry : config.optimizers) {
    optimizers.push_back({{"name", entry.name}, {"label", entry.label}, {"hyper", entry.hyper}});
  }
  nlohmann::json schedules = nlohmann::json::object();
  for (const auto& [name, schedule] : config.hyper_schedules) schedules[name] = schedule_json(schedule);
  nlohmann::json out = {
      {"study", {{"name", config.name}, {"seeds", config.seeds}}},
      {"data", section(config.data, data::dataset_names())},
      {"model", section(config.model, models::names(), models::activations())},
      {"train", section(config.train)},
      {"optimizers", optimizers},
      {"schedule", schedule_json(config.schedule)},
      {"batch", section(config.batch)},
      {"schedules", schedules},
      {"diagnostics", section(config.diagnostics)},
  };
  // Single-worker runs leave [comm] out, so their run keys stay those of studies written before it.
  if (config.comm.data_parallel()) out["comm"] = section(config.comm, comm::compressor_names());
  return out;
}

StudyConfig study_config_of_run(const nlohmann::json& run_config, const std::string& source) {
  try {
    StudyConfig config;
    config.source = source;
    config.name = run_config.at("study").at("name").get<std::string>();
    config.seeds = {run_config.at("seed").get<std::uint64_t>()};
    read_section(run_config, "data", config.data, data::dataset_names());
    read_section(run_config, "model", config.model, models::names(), models::activations());
    read_section(run_config, "train", config.train);
    read_section(run_config, "batch", config.batch);
    read_section(run_config, "diagnostics", config.diagnostics);
    read_section(run_config, "comm", config.comm, comm::compressor_names());
    const auto& optimizer = run_config.at("optimizer");
    config.optimizers.push_back({optimizer.at("name").get<std::string>(), optimizer.at("label").get<std::string>(),
                                 optimizer.at("hyper").get<ParamValues>()});
    if (run_config.contains("schedule")) config.schedule = schedule_from_json(run_config.at("schedule"));
    const nlohmann::json schedules = run_config.value("schedules", nlohmann::json::object());  // items() must not outlive it
    for (const auto& [name, schedule] : schedules.items()) config.hyper_schedules[name] = schedule_from_json(schedule);
    return config;
  } catch (const nlohmann::json::exception& error) {
    throw Error(ExitCode::runtime_failure, fmt::format("{}: not a stored run config: {}", source, error.what()));
  }
}

nlohmann::json run_config_json(const StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed) {
  nlohmann::json run = to_json(config);
  run["optimizer"] = run["optimizers"].at(optimizer_index);
  run.erase("optimizers");
  run["seed"] = seed;
  run["study"].erase("seeds");
  return run;
}

train::TrainingRun training_run(const StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed) {
  train::TrainingRun run;
  run.model = config.model;
  run.train = config.train;
  run.optimizer = config.optimizers.at(optimizer_index);
  run.schedule = config.schedule;
  run.seed = seed;
  run.batch = config.batch;
  run.hyper_schedules = config.hyper_schedules;
  run.diagnostics = config.diagnostics;
  run.comm = config.comm;
  return run;
}

std::string run_key(const nlohmann::json& run_config) {
  nlohmann::json identity = run_config;
  identity["train"].erase("threads");  // threads change speed, not the experiment
  Fnv1a hash;  // over the canonical dump: nlohmann's objects are key-sorted, so the dump is stable
  hash.add(identity.dump());
  return hash.hex();
}

}  // namespace descent::study
