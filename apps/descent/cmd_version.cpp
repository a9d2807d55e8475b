#include <fmt/format.h>
#include <torch/version.h>

#include "commands.hpp"
#include "descent/build_info.hpp"
#include "descent/core/env.hpp"
#include "descent/optim/instruction_set.hpp"

namespace descent::cli {
namespace {

std::string supported_sets() {
  std::string names;
  for (const optim::InstructionSet set : optim::supported_instruction_sets()) names += (names.empty() ? "" : " ") + std::string(optim::instruction_set_name(set));
  return names;
}

}  // namespace

void add_version_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("version", "print descent's version and build");
  command->callback([] {
    fmt::print("descent {} ({}, {})\nLibTorch {}\n{}\nfused optimizer loops: {} (this CPU: {})\n", build_info::version,
               build_info::git_revision, build_info::build_type, TORCH_VERSION, env::compiler(),
               optim::instruction_set_name(optim::active_instruction_set()), supported_sets());
  });
}

}  // namespace descent::cli
