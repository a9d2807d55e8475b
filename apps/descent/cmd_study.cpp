#include <fmt/format.h>

#include "commands.hpp"
#include "descent/core/error.hpp"
#include "descent/study/study_runner.hpp"
#include "descent/train/callbacks.hpp"

namespace descent::cli {
int finish_study_command(const study::StudyOutcome& outcome) {
  if (!outcome.leader) return outcome.interrupted ? train::interrupted_exit_code() : 0;  // rank 0 reports
  fmt::print(stderr, "ran {} runs ({} diverged, {} failed), skipped {} already stored\n", outcome.ran, outcome.diverged,
             outcome.failed, outcome.skipped);
  fmt::print(stderr, "report: {}\n", outcome.report.markdown.string());
  fmt::print("{}\n", outcome.report.html.string());
  if (outcome.interrupted) return train::interrupted_exit_code();
  return outcome.failed > 0 ? static_cast<int>(ExitCode::runtime_failure) : 0;
}

study::StudyConfig load_config(const RunArgs& args) {
  study::StudyConfig config = study::load_study_config(args.file, args.overrides);
  if (args.threads > 0) config.train.threads = args.threads;
  return config;
}

study::StudyOptions study_options(const RunArgs& args) { return {args.store.store, args.store.report_dir, !args.quiet}; }

void add_study_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* command = app.add_subcommand("study", "run every optimizer x seed of a study file, then write its report");
  command->add_option("file", args->file, "study file (TOML)")->required()->check(CLI::ExistingFile);
  command->add_option("overrides", args->overrides, "config overrides, key.path=value (e.g. train.epochs=1)");
  command->add_option("--threads", args->threads, "threads for training (overrides train.threads)")->check(CLI::Range(1, 256));
  command->add_flag("--quiet", args->quiet, "no progress output");
  add_store_options(*command, args->store);
  command->callback([args] {
    exit_code() = finish_study_command(study::run_study(load_config(*args), study_options(*args)));
  });
}

}  // namespace descent::cli
