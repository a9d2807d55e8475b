#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "commands.hpp"
#include "descent/core/error.hpp"

namespace descent::cli {

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto optimizer = std::make_shared<std::string>();
  auto seed = std::make_shared<std::int64_t>(-1);
  CLI::App* command = app.add_subcommand("train", "train one run (one optimizer entry, one seed) and store it");
  command->add_option("file", args->file, "study file (TOML)")->required()->check(CLI::ExistingFile);
  command->add_option("overrides", args->overrides, "config overrides, key.path=value");
  command->add_option("--optimizer", *optimizer, "label of the optimizer entry (default: the first)");
  command->add_option("--seed", *seed, "seed (default: the study's first)")->check(non_negative_number());
  command->add_option("--threads", args->threads, "threads for training")->check(CLI::Range(1, 256));
  command->add_flag("--quiet", args->quiet, "no progress output");
  add_store_options(*command, args->store);
  command->callback([args, optimizer, seed] {
    const study::StudyConfig config = load_config(*args);
    std::size_t index = 0;
    if (!optimizer->empty()) {
      std::vector<std::string> labels;
      for (const auto& entry : config.optimizers) labels.push_back(entry.label);
      const auto it = std::find(labels.begin(), labels.end(), *optimizer);
      if (it == labels.end()) {
        throw ConfigError(fmt::format("--optimizer '{}': the study has no entry with that label (labels: {})", *optimizer,
                                      fmt::join(labels, ", ")));
      }
      index = static_cast<std::size_t>(it - labels.begin());
    }
    const std::uint64_t run_seed = *seed >= 0 ? static_cast<std::uint64_t>(*seed) : config.seeds.front();
    exit_code() = finish_study_command(study::run_single(config, index, run_seed, study_options(*args)));
  });
}

}  // namespace descent::cli
