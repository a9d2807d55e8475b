#include "descent/study/stored_run.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "descent/core/error.hpp"
#include "descent/data/splits.hpp"
#include "descent/models/models.hpp"
#include "descent/store/store.hpp"
#include "descent/study/study_runner.hpp"
#include "descent/train/trainer.hpp"

namespace descent::study {

StoredRun load_stored_run(const std::filesystem::path& store_path, std::int64_t run_id) {
  store::Store store(store_path, store::Access::read_only);
  const auto run = store.find_run_by_id(run_id);
  if (!run) throw Error(ExitCode::usage_error, fmt::format("{}: no run {}", store_path.string(), run_id));
  const nlohmann::json run_config = nlohmann::json::parse(run->config_json);
  StoredRun stored{run_id, study_config_of_run(run_config, fmt::format("{} run {}", store_path.string(), run_id)), run->label, run->seed,
                   {}, {}, nullptr};
  stored.parameters = model_path(store_path, stored.config.name, run->run_key);
  if (!std::filesystem::exists(stored.parameters)) {
    throw Error(ExitCode::runtime_failure, fmt::format("{}: run {} kept no parameters; rerun it with train.save_model=true",
                                                       stored.parameters.string(), run_id));
  }
  stored.splits = data::load_splits(stored.config.data);
  const bool classification = stored.splits.train.task == data::Task::classification;
  stored.model = models::make_model(stored.config.model, stored.splits.train.sample_shape, classification ? stored.splits.train.num_classes : 1);
  train::load_model(*stored.model, stored.parameters);
  return stored;
}

}  // namespace descent::study
