// descent: a laboratory for gradient-based training. Logs and progress go to stderr, data to stdout.
// Exit codes: 0 success, 1 runtime failure, 2 usage or config error, 130 interrupted (Ctrl-C),
// 143 terminated (SIGTERM).
#include <fmt/format.h>

#include <csignal>
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "descent/comm/mpi.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/optim/instruction_set.hpp"
#include "descent/train/callbacks.hpp"

namespace descent::cli {

int& exit_code() {
  static int code = 0;
  return code;
}

CLI::Validator non_empty() {
  return CLI::Validator([](const std::string& value) { return value.empty() ? std::string("must not be empty") : std::string(); },
                        "PATH");
}

namespace {

CLI::Validator number_above(double bound, bool strict) {
  return CLI::Validator(
      [bound, strict](const std::string& value) {
        double number = 0.0;
        try {
          std::size_t used = 0;
          number = std::stod(value, &used);
          if (used != value.size()) throw std::invalid_argument(value);
        } catch (const std::exception&) {
          return fmt::format("'{}' is not a number", value);
        }
        const bool ok = strict ? number > bound : number >= bound;
        return ok ? std::string() : fmt::format("must be a number {} {}", strict ? ">" : ">=", bound);
      },
      strict ? "NUMBER > 0" : "NUMBER >= 0");
}

}  // namespace

CLI::Validator positive_number() { return number_above(0.0, true); }
CLI::Validator non_negative_number() { return number_above(0.0, false); }

void add_store_options(CLI::App& command, StoreOptions& options) {
  command.add_option("--store", options.store, "SQLite run store")->capture_default_str()->check(non_empty());
  command.add_option("--report-dir", options.report_dir, "folder for reports (one subfolder per study)")
      ->capture_default_str()
      ->check(non_empty());
}

}  // namespace descent::cli

namespace {

// First Ctrl-C or SIGTERM: finish the current step, store what is consistent, stop. A second one:
// the default action.
void on_interrupt(int signal) {
  descent::train::interrupt_signal().store(signal);
  descent::train::interrupt_flag().store(true);
  std::signal(signal, SIG_DFL);
}

// Prints the error and returns its exit code. Under MPI a failing rank ends the whole job: the
// other ranks may be waiting for it inside a collective.
int fail(const char* what, int code) {
  const int size = descent::comm::world().size();
  if (size > 1) {
    fmt::print(stderr, "descent: error on rank {}: {}\n", descent::comm::world().rank(), what);
    std::fflush(stderr);
    descent::comm::MpiSession::abort_all(code);
  } else {
    fmt::print(stderr, "descent: error: {}\n", what);
  }
  return code;
}

// "descent studdy": name the word and the nearest command, which CLI11 would only call an
// unexpected argument.
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-' || argv[1][0] == '\0') return std::nullopt;
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands({})) names.push_back(command->get_name());
  const std::string word = argv[1];
  if (std::find(names.begin(), names.end(), word) != names.end()) return std::nullopt;
  return fmt::format("unknown command '{}'{} (descent --help lists them)", word, descent::text::did_you_mean(word, names));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace descent;
  env::pin_blas_threads_to_one();
  comm::MpiSession mpi(argc, argv);  // under mpirun: ranks become data-parallel workers
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);

  CLI::App app{"descent: a fast C++ laboratory for gradient-based training"};
  app.require_subcommand(1);
  app.fallthrough(false);
  cli::add_study_command(app);
  cli::add_train_command(app);
  cli::add_tune_command(app);
  cli::add_report_command(app);
  cli::add_export_command(app);
  cli::add_refine_command(app);
  cli::add_repro_command(app);
  cli::add_lr_find_command(app);
  cli::add_diagnose_command(app);
  cli::add_match_command(app);
  cli::add_list_command(app);
  cli::add_version_command(app);

  if (const auto unknown = unknown_command(app, argc, argv)) return fail(unknown->c_str(), static_cast<int>(ExitCode::usage_error));
  try {
    optim::active_instruction_set();  // a bad DESCENT_SIMD is refused now, not inside a run or trial
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage_error);
  } catch (const Error& error) {
    return fail(error.what(), static_cast<int>(error.code()));
  } catch (const std::exception& error) {
    return fail(error.what(), static_cast<int>(ExitCode::runtime_failure));
  }
  return cli::exit_code();
}
