#include <fmt/format.h>

#include "commands.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/repro/experiment.hpp"

namespace descent::cli {

void add_repro_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto options = std::make_shared<StoreOptions>();
  auto threads = std::make_shared<int>(1);
  auto progress = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand("repro", "rerun a seed paper's claim (no NAME: list the experiments)");
  command->add_option("name", *name, "experiment name");
  command->add_option("--threads", *threads, "threads for training")->check(CLI::Range(1, 256));
  command->add_flag("--progress", *progress, "show each run's progress");
  add_store_options(*command, *options);
  command->callback([=] {
    const auto& all = repro::experiments();
    if (name->empty()) {
      for (const auto& experiment : all) fmt::print("{:<20} {} [{}]\n", experiment.name, experiment.claim, experiment.cost);
      return;
    }
    std::vector<std::string> names;
    for (const auto& experiment : all) {
      names.push_back(experiment.name);
      if (experiment.name == *name) {
        // The verdict is the exit status: 0 when every check passed, 1 when any failed.
        if (!repro::run_experiment(experiment, {options->store, options->report_dir, *threads, *progress})) {
          exit_code() = static_cast<int>(ExitCode::runtime_failure);
        }
        return;
      }
    }
    throw Error(ExitCode::usage_error, fmt::format("no experiment named '{}'{} (descent repro lists them)", *name,
                                                   text::did_you_mean(*name, names)));
  });
}

}  // namespace descent::cli
