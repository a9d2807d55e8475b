#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/optim/description.hpp"
#include "descent/schedule/refine.hpp"
#include "descent/store/store.hpp"

namespace descent::cli {
namespace {

struct RefineArgs {
  std::int64_t run = 0;
  std::string store = "runs/descent.db";
  std::string norm = "auto";
  std::string out;
  bool no_smooth = false;
};

void refine_run(const RefineArgs& args) {
  if (!std::filesystem::exists(args.store)) throw Error(ExitCode::usage_error, fmt::format("{}: no such store (--store)", args.store));
  store::Store store(args.store, store::Access::read_only);
  const auto run = store.find_run_by_id(args.run);
  if (!run) throw Error(ExitCode::usage_error, fmt::format("{}: no run with id {}", args.store, args.run));
  const auto config = nlohmann::json::parse(run->config_json);
  const std::string optimizer = config.at("optimizer").at("name");
  const schedule::NormKind kind = args.norm == "auto" ? schedule::norm_for(optim::describe(optimizer).adaptive)
                                  : args.norm == "l1" ? schedule::NormKind::l1
                                                      : schedule::NormKind::l2;
  const std::string metric = kind == schedule::NormKind::l1 ? "grad_norm_l1" : "grad_norm_l2";
  std::vector<double> norms;
  for (const auto& row : store.metrics(run->id)) {
    if (row.name == metric) norms.push_back(row.value);
  }
  if (norms.size() < 2) {
    throw Error(ExitCode::runtime_failure, fmt::format("run {} has {} '{}' values; refinement needs the per-step trace", run->id,
                                                       norms.size(), metric));
  }
  const auto values = schedule::refine(norms, {kind, !args.no_smooth, 10000});
  const std::string out = args.out.empty() ? fmt::format("runs/schedules/run-{}-refined.json", run->id) : args.out;
  const nlohmann::json document = {{"values", values},     {"run", run->id},        {"optimizer", optimizer},
                                   {"norm", metric},       {"smoothed", !args.no_smooth}, {"steps", norms.size()}};
  env::write_file_atomically(out, document.dump());
  const auto peak = std::max_element(values.begin(), values.end()) - values.begin();
  fmt::print(stderr, "refined {} {} values of run {} ({}): peak at {:.1f}% of the run\n", norms.size(), metric, run->id,
             optimizer, 100.0 * static_cast<double>(peak) / static_cast<double>(values.size() - 1));
  fmt::print("{}\n", out);
}

}  // namespace

void add_refine_command(CLI::App& app) {
  auto args = std::make_shared<RefineArgs>();
  CLI::App* command = app.add_subcommand(
      "refine", "write a schedule refined from a stored run's gradient norms (use it as [schedule] kind = \"refined\", file = ...)");
  command->add_option("run", args->run, "run id (see the report's run table)")->required();
  command->add_option("--store", args->store, "SQLite run store")->capture_default_str();
  command->add_option("--norm", args->norm, "auto (l1 for Adam-like optimizers, l2 otherwise), l1 or l2")
      ->check(CLI::IsMember({"auto", "l1", "l2"}))
      ->capture_default_str();
  command->add_option("--out", args->out, "output file (default runs/schedules/run-ID-refined.json)");
  command->add_flag("--no-smooth", args->no_smooth, "skip the median filter (the raw closed form)");
  command->callback([args] { refine_run(*args); });
}

}  // namespace descent::cli
