#include <fmt/format.h>
#include <torch/version.h>

#include "commands.hpp"
#include "descent/build_info.hpp"
#include "descent/core/env.hpp"

namespace descent::cli {

void add_version_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("version", "print descent's version and build");
  command->callback([] {
    fmt::print("descent {} ({}, {})\nLibTorch {}\n{}\n", build_info::version, build_info::git_revision,
               build_info::build_type, TORCH_VERSION, env::compiler());
  });
}

}  // namespace descent::cli
