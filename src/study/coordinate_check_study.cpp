#include "descent/study/coordinate_check_study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/data/splits.hpp"
#include "descent/data/tensors.hpp"
#include "descent/diag/coordinate_check.hpp"
#include "descent/models/models.hpp"
#include "descent/report/page.hpp"
#include "descent/report/svg_chart.hpp"

namespace descent::study {
namespace {

void check_supported(const StudyConfig& config, const CoordinateCheckStudyOptions& options) {
  if (config.model.kind != "mlp") {
    throw ConfigError(fmt::format("diagnose --coord-check: model.kind '{}' has no width to sweep (only mlp)", config.model.kind));
  }
  if (config.model.hidden.empty()) throw ConfigError("diagnose --coord-check: model.hidden is empty (no hidden layer to sweep)");
  if (options.widths.empty() || std::any_of(options.widths.begin(), options.widths.end(), [](std::int64_t w) { return w < 1; })) {
    throw ConfigError(fmt::format("diagnose --coord-check: widths [{}] (each must be positive)", fmt::join(options.widths, ", ")));
  }
}

report::ChartSpec layer_chart(const diag::CoordinateCheck& check, std::size_t layer) {
  report::ChartSpec chart{fmt::format("{}: mean |h_t - h_0| against width (log-log)", check.layers[layer]), "log2 width", "mean |change|", true, {}};
  const std::size_t steps = check.change.front()[layer].size();
  for (std::size_t t = 0; t < steps; ++t) {
    report::BandSeries series;
    for (std::size_t w = 0; w < check.widths.size(); ++w) series.add(std::log2(static_cast<double>(check.widths[w])), check.change[w][layer][t]);
    chart.lines.push_back({fmt::format("after step {}", t + 1), report::series_color(t), series});
  }
  return chart;
}

std::string parameterization_name(models::Parameterization kind) {
  for (const auto& [value, name] : models::kParameterizations) {
    if (value == kind) return name;
  }
  return "?";
}

}  // namespace

CoordinateCheckStudyResult coordinate_check_study(const StudyConfig& config, const CoordinateCheckStudyOptions& options) {
  check_supported(config, options);
  torch::set_num_threads(options.threads);
  data::Dataset train = data::load_splits(config.data).train;
  if (train.task != data::Task::classification) throw ConfigError("diagnose --coord-check: the data's task is not classification");
  data::keep_subset(train, config.train.batch_size, config.data.seed);  // one fixed batch, as mup's coord_check uses
  const data::LabeledTensors batch = data::as_tensors(train);

  models::ModelOptions model = config.model;
  if (model.scaling.kind == models::Parameterization::mup && model.scaling.base_width == 0) {
    model.scaling.base_width = *std::min_element(options.widths.begin(), options.widths.end());
  }
  const auto model_of_width = [&](std::int64_t width) {
    models::ModelOptions wide = model;
    std::fill(wide.hidden.begin(), wide.hidden.end(), width);
    return models::make_model(wide, train.sample_shape, train.num_classes);
  };
  const train::OptimizerEntry& entry = config.optimizers.front();
  const diag::CoordinateCheck check =
      diag::coordinate_check(model_of_width, batch.features, batch.targets, {options.widths, entry.name, entry.hyper, options.steps, options.seeds});

  CoordinateCheckStudyResult result;
  std::string md = fmt::format(
      "# Coordinate check of {}\n\nmodel.hidden = {} x [width], parameterization {}{}; {} ({}) at the model's per-layer rates, {} steps "
      "on one fixed batch of {} training samples, {} seeds per width; h is each traced layer's activation and the logits. A slope "
      "near 0 means the layer's update keeps its size as width grows (muP's feature learning), -0.5 the kernel regime (NTK), a "
      "positive slope an update that blows up.\n\n| layer | slope after step 1 | ... after step {} | mean abs at init, width {} -> {} |\n|---|---|---|---|\n",
      config.name, config.model.hidden.size(), parameterization_name(model.scaling.kind),
      model.scaling.kind == models::Parameterization::mup ? fmt::format(" (base width {})", model.scaling.base_width) : "", entry.label,
      entry.name, options.steps, batch.targets.size(0), options.seeds, options.steps, options.widths.front(), options.widths.back());
  std::string charts;
  for (std::size_t l = 0; l < check.layers.size(); ++l) {
    const std::string& layer = check.layers[l];
    result.slopes[layer] = check.slope(layer, options.steps);
    md += fmt::format("| {} | {:+.3f} | {:+.3f} | {:.3g} -> {:.3g} |\n", layer, check.slope(layer, 1), result.slopes[layer],
                      check.size.front()[l], check.size.back()[l]);
    charts += report::render_svg(layer_chart(check, l));
  }
  const auto dir = options.report_dir / (config.name + "-coord-check");
  env::write_file_atomically(dir / "report.md", md);
  env::write_file_atomically(dir / "report.html", report::html_page(fmt::format("descent diagnose --coord-check {}", config.name),
                                                                    charts + "<pre>" + text::html_escape(md) + "</pre>"));
  result.report = dir / "report.md";
  return result;
}

}  // namespace descent::study
