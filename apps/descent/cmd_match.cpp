#include <fmt/format.h>

#include "commands.hpp"
#include "descent/study/match_runs.hpp"

namespace descent::cli {

// `descent match RUN_A RUN_B`: weight matching between two stored runs (kept with
// train.save_model) and the loss barrier on the line between them, before and after.
void add_match_command(CLI::App& app) {
  auto runs = std::make_shared<std::vector<std::int64_t>>();
  auto options = std::make_shared<study::MatchRunsOptions>();
  auto store = std::make_shared<StoreOptions>();
  CLI::App* command = app.add_subcommand("match", "permute run B's hidden units to match run A's (Git Re-Basin's weight matching) and "
                                                  "plot the test loss on the straight line between them, before and after");
  command->add_option("runs", *runs, "the ids of the two stored runs (train.save_model = true)")->required()->expected(2);
  command->add_option("--points", options->path_points, "points on the line from A to B")->check(CLI::Range(2, 1001));
  command->add_option("--seed", options->seed, "seed of the order in which the permutations are visited");
  command->add_option("--threads", options->threads, "threads")->check(CLI::Range(1, 256));
  add_store_options(*command, *store);
  command->callback([runs, options, store] {
    options->store_path = store->store;
    options->report_dir = store->report_dir;
    const auto result = study::match_runs(runs->at(0), runs->at(1), *options);
    for (const auto& [name, value] : result.values) fmt::print(stderr, "{:<28} {:.6g}\n", name, value);
    fmt::print("{}\n", result.report.string());
  });
}

}  // namespace descent::cli
