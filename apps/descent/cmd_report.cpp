#include <fmt/format.h>

#include "commands.hpp"
#include "descent/core/error.hpp"
#include "descent/report/report.hpp"
#include "descent/store/store.hpp"

namespace descent::cli {

void add_report_command(CLI::App& app) {
  auto study = std::make_shared<std::string>();
  auto options = std::make_shared<StoreOptions>();
  CLI::App* command = app.add_subcommand("report", "write a study's HTML and Markdown report from the store");
  command->add_option("study", *study, "study name")->required();
  add_store_options(*command, *options);
  command->callback([study, options] {
    if (!std::filesystem::exists(options->store)) {
      throw descent::Error(ExitCode::usage_error, fmt::format("{}: no such store (--store)", options->store));
    }
    store::Store store(options->store, store::Access::read_only);
    const auto paths = report::write_reports(report::collect(store, *study), options->report_dir);
    fmt::print(stderr, "report: {}\n", paths.markdown.string());
    fmt::print("{}\n", paths.html.string());
  });
}

}  // namespace descent::cli
