#include <fmt/format.h>

#include "commands.hpp"
#include "descent/core/error.hpp"
#include "descent/study/tuner.hpp"
#include "descent/train/callbacks.hpp"

namespace descent::cli {

void add_tune_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto trial_store = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "tune", "search the [tune] section's parameters (Bayesian optimization, random or grid), one run per trial; "
              "run several at once to tune with several workers");
  command->add_option("file", args->file, "study file (TOML) with a [tune] section")->required()->check(CLI::ExistingFile);
  command->add_option("overrides", args->overrides, "config overrides, key.path=value");
  command->add_option("--threads", args->threads, "threads for training")->check(CLI::Range(1, 256));
  command->add_option("--trials-store", *trial_store,
                      "where trials live: a SQLite file or postgresql://user@host/db (default: the run store)");
  command->add_flag("--quiet", args->quiet, "no progress output");
  add_store_options(*command, args->store);
  command->callback([args, trial_store] {
    const study::StudyConfig config = load_config(*args);
    study::TuneOptions options;
    options.file = args->file;
    options.overrides = args->overrides;
    options.threads = args->threads;
    options.store_path = args->store.store;
    options.report_dir = args->store.report_dir;
    options.trial_store = *trial_store;
    options.progress = !args->quiet;
    const study::TuneOutcome outcome = study::run_tune(config, options);
    fmt::print(stderr, "ran {} trials ({} complete, {} pruned, {} failed, {} reused stored runs)\n", outcome.ran, outcome.complete,
               outcome.pruned, outcome.failed, outcome.reused);
    if (outcome.best) {
      fmt::print(stderr, "best: trial {} with {} = {:.6g}\n", outcome.best->number, config.tune.objective, *outcome.best->value);
    }
    fmt::print("{}\n", outcome.report.string());
    if (outcome.interrupted) exit_code() = train::interrupted_exit_code();
  });
}

}  // namespace descent::cli
