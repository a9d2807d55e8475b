// A finished run's model, read back from the store with the parameters it kept
// (train.save_model): what `descent diagnose RUN` and `descent match RUN_A RUN_B` start from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "descent/data/dataset.hpp"
#include "descent/study/config.hpp"

namespace descent::models {
struct Model;
}

namespace descent::study {

struct StoredRun {
  std::int64_t id = 0;
  StudyConfig config;
  std::string label;
  std::uint64_t seed = 0;
  std::filesystem::path parameters;
  data::Splits splits;
  std::shared_ptr<models::Model> model;  // with the kept parameters
};

// Throws Error (usage) for an unknown run, and (runtime) naming the file when it kept no parameters.
StoredRun load_stored_run(const std::filesystem::path& store_path, std::int64_t run_id);

}  // namespace descent::study
