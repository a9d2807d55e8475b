#include <fmt/format.h>

#include "commands.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/repro/experiment.hpp"

namespace descent::cli {
namespace {

const char* budget_word(repro::Budget budget) { return budget == repro::Budget::fast ? "fast" : "full"; }

void list_experiments() {
  for (const auto& experiment : repro::experiments()) {
    fmt::print("{:<22} [{}, {}] {}\n", experiment.name, budget_word(experiment.budget), experiment.cost, experiment.claim);
  }
}

const repro::Experiment& find_experiment(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& experiment : repro::experiments()) {
    if (experiment.name == name) return experiment;
    names.push_back(experiment.name);
  }
  throw Error(ExitCode::usage_error,
              fmt::format("no experiment named '{}'{} (descent repro lists them)", name, text::did_you_mean(name, names)));
}

}  // namespace

void add_repro_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto budget = std::make_shared<repro::Budget>(repro::Budget::fast);
  auto options = std::make_shared<StoreOptions>();
  auto threads = std::make_shared<int>(1);
  auto progress = std::make_shared<bool>(false);
  CLI::App* command =
      app.add_subcommand("repro", "rerun a seed paper's claim; exits 0 on PASS, 1 on FAIL (no NAME: list the experiments)");
  auto* name_option = command->add_option("name", *name, "experiment name");
  auto* all_option = command->add_flag("--all", *all, "run every experiment within --budget and write a summary page");
  all_option->excludes(name_option);
  const std::map<std::string, repro::Budget> budgets = {{"fast", repro::Budget::fast}, {"full", repro::Budget::full}};
  command->add_option("--budget", *budget, "with --all: fast (the experiments of a minute or less) or full (all)")
      ->transform(CLI::CheckedTransformer(budgets))
      ->needs(all_option);
  command->add_option("--threads", *threads, "threads for training")->check(CLI::Range(1, 256));
  command->add_flag("--progress", *progress, "show each run's progress");
  add_store_options(*command, *options);
  command->callback([=] {
    const repro::Context context{options->store, options->report_dir, *threads, *progress};
    // The verdict is the exit status: 0 when every check passed, 1 when any failed.
    if (*all) {
      const auto verdicts = repro::run_all(*budget, context);
      const bool passed = std::all_of(verdicts.begin(), verdicts.end(), [](const repro::Verdict& v) { return v.passed(); });
      if (!passed) exit_code() = static_cast<int>(ExitCode::runtime_failure);
      return;
    }
    if (name->empty()) return list_experiments();
    if (!repro::run_experiment(find_experiment(*name), context).passed()) exit_code() = static_cast<int>(ExitCode::runtime_failure);
  });
}

}  // namespace descent::cli
