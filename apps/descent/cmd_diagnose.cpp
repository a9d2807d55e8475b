#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "commands.hpp"
#include "descent/core/error.hpp"
#include "descent/study/coordinate_check_study.hpp"
#include "descent/study/diagnose_run.hpp"

namespace descent::cli {

// `descent diagnose FILE`: runs a study file's first optimizer entry and first seed with every
// training-dynamics probe on, as its own study "<name>-diagnose", and writes the report with the
// probes' charts. `descent diagnose RUN_ID`: the probes on a stored run's final parameters.
// `descent diagnose FILE --coord-check`: the coordinate check of the file's MLP across widths.
void add_diagnose_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto every = std::make_shared<std::int64_t>(0);
  auto coord_check = std::make_shared<bool>(false);
  auto coord = std::make_shared<study::CoordinateCheckStudyOptions>();
  CLI::App* command = app.add_subcommand(
      "diagnose", "train a study's first entry with the probes on (sharpness, noise scale, coherence, layer norms), "
                  "or probe a stored run's final parameters (RUN_ID, saved with train.save_model)");
  command->add_option("file", args->file, "study file (TOML), or the id of a stored run")->required();
  command->add_option("overrides", args->overrides, "config overrides, key.path=value");
  command->add_option("--every", *every, "steps between probe measurements (default: train.log_every)")->check(positive_number());
  command->add_flag("--coord-check", *coord_check,
                    "coordinate check instead: how much each layer's activations move in a few steps, against width (mlp)");
  command->add_option("--widths", coord->widths, "--coord-check: the widths every hidden layer takes")->delimiter(',')->check(positive_number());
  command->add_option("--steps", coord->steps, "--coord-check: steps on the fixed batch")->check(CLI::Range(1, 1000));
  command->add_option("--seeds", coord->seeds, "--coord-check: initializations per width")->check(CLI::Range(1, 100));
  command->add_option("--threads", args->threads, "threads for training")->check(CLI::Range(1, 256));
  command->add_flag("--quiet", args->quiet, "no progress output");
  add_store_options(*command, args->store);
  command->callback([args, every, coord_check, coord] {
    if (!args->file.empty() && std::all_of(args->file.begin(), args->file.end(), [](unsigned char c) { return std::isdigit(c); }) &&
        !std::filesystem::exists(args->file)) {
      if (*coord_check) throw ConfigError(fmt::format("diagnose --coord-check {}: needs a study file, not a run id", args->file));
      study::DiagnoseRunOptions options;
      options.store_path = args->store.store;
      options.report_dir = args->store.report_dir;
      if (args->threads > 0) options.threads = args->threads;
      const auto result = study::diagnose_run(std::stoll(args->file), options);
      for (const auto& [name, value] : result.values) fmt::print(stderr, "{:<36} {:.6g}\n", name, value);
      fmt::print("{}\n", result.report.string());
      return;
    }
    if (!std::filesystem::exists(args->file)) throw ConfigError(fmt::format("{}: no such study file (nor a run id)", args->file));
    study::StudyConfig config = load_config(*args);
    if (*coord_check) {
      coord->report_dir = args->store.report_dir;
      if (args->threads > 0) coord->threads = args->threads;
      const auto result = study::coordinate_check_study(config, *coord);
      for (const auto& [layer, slope] : result.slopes) fmt::print(stderr, "{:<12} slope {:+.3f}\n", layer, slope);
      fmt::print("{}\n", result.report.string());
      return;
    }
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
