// descent: a laboratory for gradient-based training. Logs and progress go to stderr, data to stdout.
// Exit codes: 0 success, 1 runtime failure, 2 usage or config error, 130 interrupted.
#include <fmt/format.h>

#include <csignal>
#include <cstdio>

#include "commands.hpp"
#include "descent/comm/mpi.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/train/callbacks.hpp"

namespace descent::cli {

int& exit_code() {
  static int code = 0;
  return code;
}

void add_store_options(CLI::App& command, StoreOptions& options) {
  command.add_option("--store", options.store, "SQLite run store")->capture_default_str();
  command.add_option("--report-dir", options.report_dir, "folder for reports (one subfolder per study)")->capture_default_str();
}

}  // namespace descent::cli

namespace {

// First Ctrl-C: finish the current step, store what is consistent, stop. Second: default action.
void on_interrupt(int) {
  descent::train::interrupt_flag().store(true);
  std::signal(SIGINT, SIG_DFL);
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

}  // namespace

int main(int argc, char** argv) {
  using namespace descent;
  env::pin_blas_threads_to_one();
  comm::MpiSession mpi(argc, argv);  // under mpirun: ranks become data-parallel workers
  std::signal(SIGINT, on_interrupt);

  CLI::App app{"descent: a fast C++ laboratory for gradient-based training"};
  app.require_subcommand(1);
  app.fallthrough(false);
  cli::add_study_command(app);
  cli::add_train_command(app);
  cli::add_tune_command(app);
  cli::add_report_command(app);
  cli::add_refine_command(app);
  cli::add_repro_command(app);
  cli::add_lr_find_command(app);
  cli::add_diagnose_command(app);
  cli::add_list_command(app);
  cli::add_version_command(app);

  try {
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
