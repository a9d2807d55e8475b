#include "descent/study/match_runs.hpp"

#include <fmt/format.h>

#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/data/tensors.hpp"
#include "descent/matching/weight_matching.hpp"
#include "descent/models/models.hpp"
#include "descent/report/page.hpp"
#include "descent/report/svg_chart.hpp"
#include "descent/study/stored_run.hpp"

namespace descent::study {
namespace {

report::BandSeries loss_along(const matching::Barrier& barrier) {
  report::BandSeries series;
  for (const matching::PathPoint& point : barrier.path) series.add(point.lambda, point.loss);
  return series;
}

}  // namespace

MatchRunsResult match_runs(std::int64_t run_a, std::int64_t run_b, const MatchRunsOptions& options) {
  torch::set_num_threads(options.threads);
  const StoredRun a = load_stored_run(options.store_path, run_a), b = load_stored_run(options.store_path, run_b);
  if (a.splits.test.task != data::Task::classification) throw ConfigError(fmt::format("match: run {} is not a classification run", run_a));
  a.model->eval();
  const data::LabeledTensors test = data::as_tensors(a.splits.test);
  const matching::PermutationSpec spec = matching::permutation_spec(*a.model);
  const matching::NamedParameters pa = matching::named_parameters(*a.model), pb = matching::named_parameters(*b.model);
  const matching::WeightMatchingResult matched = matching::weight_matching(spec, pa, pb, options.seed);
  const matching::NamedParameters pb_matched = matching::apply_permutations(spec, pb, matched.permutations);
  const auto evaluate = [&](models::Model& model) { return matching::cross_entropy_and_accuracy(model, test); };
  const matching::Barrier naive = matching::linear_path_barrier(*a.model, pa, pb, options.path_points, evaluate);
  const matching::Barrier aligned = matching::linear_path_barrier(*a.model, pa, pb_matched, options.path_points, evaluate);

  MatchRunsResult result;
  result.values = {{"loss_barrier", naive.loss},           {"loss_barrier_matched", aligned.loss},
                   {"accuracy_barrier", naive.accuracy},   {"accuracy_barrier_matched", aligned.accuracy},
                   {"distance", matching::distance(pa, pb)}, {"distance_matched", matching::distance(pa, pb_matched)},
                   {"sweeps", static_cast<double>(matched.sweeps)}};
  std::string md = fmt::format("# Weight matching of run {} ({} seed {}) and run {} ({} seed {})\n\nRun B's hidden units permuted to match "
                               "run A's (Git Re-Basin's weight matching); the path (1 - lambda) A + lambda B on {} points, evaluated on run "
                               "A's test split ({} samples).\n\n| quantity | value |\n|---|---|\n",
                               run_a, a.config.name, a.seed, run_b, b.config.name, b.seed, options.path_points, test.targets.size(0));
  for (const auto& [name, value] : result.values) md += fmt::format("| {} | {:.6g} |\n", name, value);
  report::ChartSpec chart{"test loss on the line from A to B", "lambda", "test loss", false, {}};
  chart.lines.push_back({"B as trained", report::series_color(0), loss_along(naive)});
  chart.lines.push_back({"B after weight matching", report::series_color(1), loss_along(aligned)});
  const auto dir = options.report_dir / fmt::format("match-{}-{}", run_a, run_b);
  env::write_file_atomically(dir / "report.md", md);
  env::write_file_atomically(dir / "report.html", report::html_page(fmt::format("descent match {} {}", run_a, run_b),
                                                                    report::render_svg(chart) + "<pre>" + text::html_escape(md) + "</pre>"));
  result.report = dir / "report.md";
  return result;
}

}  // namespace descent::study
