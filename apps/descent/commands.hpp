// The subcommands of the descent program, one file each; main.cpp wires them into CLI11.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "descent/study/study_runner.hpp"

namespace descent::cli {

// Set by a subcommand's callback; main returns it.
int& exit_code();

void add_study_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_tune_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_refine_command(CLI::App& app);
void add_repro_command(CLI::App& app);
void add_lr_find_command(CLI::App& app);
void add_diagnose_command(CLI::App& app);
void add_match_command(CLI::App& app);
void add_list_command(CLI::App& app);
void add_version_command(CLI::App& app);
void add_export_command(CLI::App& app);

// Options that several subcommands share.
struct StoreOptions {
  std::string store = "runs/descent.db";
  std::string report_dir = "runs/reports";
};
void add_store_options(CLI::App& command, StoreOptions& options);

// Number checks whose messages state the bound ("must be a number > 0"), not CLI11's range with
// the largest double written out in 309 digits.
// A path or name that must not be empty ("--store \"\"").
CLI::Validator non_empty();
CLI::Validator positive_number();
CLI::Validator non_negative_number();

// What `study` and `train` share: the study file, overrides, where results go.
struct RunArgs {
  std::string file;
  std::vector<std::string> overrides;
  StoreOptions store;
  int threads = 0;
  bool quiet = false;
};
study::StudyConfig load_config(const RunArgs& args);
study::StudyOptions study_options(const RunArgs& args);
// Prints the outcome (report path on stdout) and returns the exit code.
int finish_study_command(const study::StudyOutcome& outcome);

}  // namespace descent::cli
