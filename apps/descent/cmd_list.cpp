#include <fmt/format.h>

#include "commands.hpp"
#include "descent/core/text.hpp"
#include "descent/models/catalog.hpp"
#include "descent/optim/description.hpp"
#include "descent/schedule/schedule.hpp"

namespace descent::cli {
namespace {

std::string default_text(const ParamSpec& spec) {
  if (spec.kind == ParamKind::boolean) return spec.default_value != 0.0 ? "true" : "false";
  if (spec.kind == ParamKind::choice) return spec.choices.at(static_cast<std::size_t>(spec.default_value));
  return fmt::format("{:g}", spec.default_value);
}

void print_params(const std::vector<ParamSpec>& params) {
  for (const auto& spec : params) {
    fmt::print("    {:<26} default {:<8} range {:<14} {}\n", spec.name, default_text(spec), describe_range(spec), spec.doc);
  }
}

void print_entries(const std::vector<CatalogEntry>& entries) {
  for (const auto& entry : entries) fmt::print("{:<20} {}\n", entry.name, entry.summary);
}

}  // namespace

void add_list_command(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("list", "list optimizers, schedules, models or datasets");
  command->add_option("what", *what, "optimizers | schedules | models | datasets")
      ->required()
      ->check(CLI::IsMember({"optimizers", "schedules", "models", "datasets"}));
  command->callback([what] {
    if (*what == "optimizers") {
      for (const auto& info : optim::catalog()) {
        fmt::print("{}\n  {}\n  paper: {}\n", info.name, info.summary, info.paper);
        print_params(info.params);
      }
    } else if (*what == "schedules") {
      for (const auto& info : schedule::catalog()) {
        fmt::print("{}\n  {}\n", info.name, info.summary);
        print_params(info.params);
      }
    } else if (*what == "models") {
      print_entries(models::catalog());
    } else {
      print_entries(data::dataset_catalog());
    }
  });
}

}  // namespace descent::cli
