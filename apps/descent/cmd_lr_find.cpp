#include <fmt/format.h>

#include <cmath>

#include "commands.hpp"
#include "descent/data/splits.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/report/page.hpp"
#include "descent/report/svg_chart.hpp"
#include "descent/train/lr_finder.hpp"

namespace descent::cli {
namespace {

void write_report(const study::StudyConfig& config, const train::LrFindResult& result, const std::filesystem::path& dir) {
  report::BandSeries raw, smooth;
  for (std::size_t i = 0; i < result.learning_rates.size(); ++i) {
    const double x = std::log10(result.learning_rates[i]);
    if (std::isfinite(result.losses[i])) raw.add(x, result.losses[i]);
    smooth.add(x, result.smoothed[i]);
  }
  report::ChartSpec chart{"Loss against learning rate", "log10(learning rate)", "loss", true, {}};
  chart.lines.push_back({"loss", "#9bb7d4", raw});
  chart.lines.push_back({"smoothed", report::series_color(1), smooth});
  const std::string summary = fmt::format("Suggested learning rate: {:.3g} (steepest descent of the smoothed loss){}.",
                                          result.suggestion, result.stopped_early ? "; stopped when the loss blew up" : "");
  const std::string html = report::html_page(
      "lr-find " + config.name,
      fmt::format("<h1>Learning-rate range test: {}</h1><p>{}</p>{}<p>optimizer {} from the study file, seed {}, {} steps.</p>",
                  text::html_escape(config.name), text::html_escape(summary), report::render_svg(chart),
                  text::html_escape(config.optimizers.front().label), config.seeds.front(), result.losses.size()));
  env::write_file_atomically(dir / "report.html", html);
  env::write_file_atomically(dir / "report.md", fmt::format("# lr-find {}\n\n{}\n", config.name, summary));
}

}  // namespace

void add_lr_find_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto options = std::make_shared<train::LrFindOptions>();
  CLI::App* command = app.add_subcommand("lr-find", "learning-rate range test on a study's first optimizer entry");
  command->add_option("file", args->file, "study file (TOML)")->required()->check(CLI::ExistingFile);
  command->add_option("overrides", args->overrides, "config overrides, key.path=value");
  command->add_option("--start", options->start, "first rate")->check(positive_number())->capture_default_str();
  command->add_option("--end", options->end, "last rate")->check(positive_number())->capture_default_str();
  command->add_option("--steps", options->steps, "steps from start to end")->check(CLI::Range(10, 100000))->capture_default_str();
  command->add_option("--threads", args->threads, "threads for training")->check(CLI::Range(1, 256));
  add_store_options(*command, args->store);
  command->callback([args, options] {
    if (options->end <= options->start) throw ConfigError("--end must be larger than --start");
    const study::StudyConfig config = load_config(*args);
    const auto result = train::find_learning_rate(study::training_run(config, 0, config.seeds.front()), data::load_splits(config.data), *options);
    const auto dir = std::filesystem::path(args->store.report_dir) / ("lr-find-" + config.name);
    write_report(config, result, dir);
    fmt::print(stderr, "suggested learning rate {:.3g} after {} steps{}\nreport: {}\n", result.suggestion, result.losses.size(),
               result.stopped_early ? " (stopped when the loss blew up)" : "", (dir / "report.md").string());
    fmt::print("{:.6g}\n", result.suggestion);
  });
}

}  // namespace descent::cli
