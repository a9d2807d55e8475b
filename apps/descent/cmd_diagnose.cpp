#include <fmt/format.h>

#include "commands.hpp"
#include "descent/core/error.hpp"

namespace descent::cli {

// Runs a study file's first optimizer entry and first seed with every training-dynamics probe on,
// as its own study "<name>-diagnose", and writes the report with the probes' charts.
void add_diagnose_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto every = std::make_shared<std::int64_t>(0);
  CLI::App* command = app.add_subcommand(
      "diagnose", "train a study's first entry with the probes on (sharpness, noise scale, coherence, layer norms)");
  command->add_option("file", args->file, "study file (TOML)")->required()->check(CLI::ExistingFile);
  command->add_option("overrides", args->overrides, "config overrides, key.path=value");
  command->add_option("--every", *every, "steps between probe measurements (default: train.log_every)")->check(CLI::PositiveNumber);
  command->add_option("--threads", args->threads, "threads for training")->check(CLI::Range(1, 256));
  command->add_flag("--quiet", args->quiet, "no progress output");
  add_store_options(*command, args->store);
  command->callback([args, every] {
    study::StudyConfig config = load_config(*args);
    config.name += "-diagnose";
    config.optimizers.resize(1);
    config.seeds.resize(1);
    const std::int64_t interval = *every > 0 ? *every : config.train.log_every;
    config.diagnostics.sharpness_every = interval;
    config.diagnostics.layer_norms = true;
    if (!config.model.batch_norm) config.diagnostics.gradient_stats_every = interval;
    exit_code() = finish_study_command(study::run_study(config, study_options(*args)));
  });
}

}  // namespace descent::cli
