#include <fmt/format.h>

#include "commands.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/report/tensorboard.hpp"
#include "descent/store/store.hpp"

namespace descent::cli {
namespace {

struct ExportArgs {
  std::string study;
  std::string store = "runs/descent.db";
  std::string destination;
};

// The study from a store opened read-only; a missing store or study is the user's to fix (exit 2).
store::StudyRecord find_study(store::Store& store, const ExportArgs& args) {
  if (auto study = store.find_study(args.study)) return *study;
  throw Error(ExitCode::usage_error, fmt::format("{}: no study named '{}'", args.store, args.study));
}

std::unique_ptr<store::Store> open_store(const ExportArgs& args) {
  if (!std::filesystem::exists(args.store)) {
    throw Error(ExitCode::usage_error, fmt::format("{}: no such store (--store)", args.store));
  }
  return std::make_unique<store::Store>(args.store, store::Access::read_only);
}

CLI::App* add_study_arguments(CLI::App& command, ExportArgs& args) {
  command.add_option("study", args.study, "study name")->required();
  command.add_option("--store", args.store, "SQLite run store")->capture_default_str()->check(non_empty());
  return &command;
}

}  // namespace

void add_export_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("export", "write a study's metrics for other tools (TensorBoard, CSV)");
  command->require_subcommand(1);

  auto tensorboard_args = std::make_shared<ExportArgs>();
  CLI::App* tensorboard = command->add_subcommand(
      "tensorboard", "TensorBoard event files: one run per (optimizer, seed), one scalar tag per metric");
  add_study_arguments(*tensorboard, *tensorboard_args);
  tensorboard->add_option("dir", tensorboard_args->destination, "folder for the event files (tensorboard --logdir DIR)")
      ->required()
      ->check(non_empty());
  tensorboard->callback([tensorboard_args] {
    const auto store = open_store(*tensorboard_args);
    const auto study = find_study(*store, *tensorboard_args);
    env::require_writable_directory(tensorboard_args->destination);
    const auto files = report::export_tensorboard(*store, study, tensorboard_args->destination);
    fmt::print(stderr, "export: {} runs of '{}' as TensorBoard event files\n", files.size(), study.name);
    fmt::print("{}\n", tensorboard_args->destination);
  });

  auto csv_args = std::make_shared<ExportArgs>();
  CLI::App* csv = command->add_subcommand("csv", "tidy CSV (run,optimizer,seed,step,name,value) to stdout or --out");
  add_study_arguments(*csv, *csv_args);
  csv->add_option("--out", csv_args->destination, "file to write (atomically) instead of stdout")->check(non_empty());
  csv->callback([csv_args] {
    const auto store = open_store(*csv_args);
    const std::string text = report::metrics_csv(*store, find_study(*store, *csv_args));
    if (csv_args->destination.empty()) {
      fmt::print("{}", text);
    } else {
      env::write_file_atomically(csv_args->destination, text);
      fmt::print(stderr, "export: {}\n", csv_args->destination);
    }
  });
}

}  // namespace descent::cli
