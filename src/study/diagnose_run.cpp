#include "descent/study/diagnose_run.hpp"

#include <fmt/format.h>

#include <cmath>

#include "descent/batch/per_sample.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/data/splits.hpp"
#include "descent/diag/gradient_statistics.hpp"
#include "descent/diag/spectrum.hpp"
#include "descent/models/models.hpp"
#include "descent/report/page.hpp"
#include "descent/report/svg_chart.hpp"
#include "descent/study/stored_run.hpp"

namespace descent::study {
namespace {

// The SLQ density sum_j w_j delta(x - node_j) smoothed by a Gaussian of width 1/50 of the range.
report::BandSeries smoothed_density(const diag::SpectralDensity& density) {
  const auto [low_it, high_it] = std::minmax_element(density.nodes.begin(), density.nodes.end());
  const double low = *low_it, high = *high_it, width = std::max((high - low) / 50.0, 1e-6 * std::max(1.0, std::abs(high)));
  report::BandSeries series;
  for (int i = 0; i <= 300; ++i) {
    const double x = low - 3 * width + (high - low + 6 * width) * i / 300.0;
    double y = 0.0;
    for (std::size_t j = 0; j < density.nodes.size(); ++j) {
      const double z = (x - density.nodes[j]) / width;
      y += density.weights[j] * std::exp(-0.5 * z * z) / (width * std::sqrt(2 * M_PI));
    }
    series.add(x, std::max(y, 1e-12));
  }
  return series;
}

}  // namespace

DiagnoseRunResult diagnose_run(std::int64_t run_id, const DiagnoseRunOptions& options) {
  const StoredRun stored = load_stored_run(options.store_path, run_id);
  const StudyConfig& config = stored.config;
  const data::Splits& splits = stored.splits;
  const bool classification = splits.train.task == data::Task::classification;
  const std::shared_ptr<models::Model>& model = stored.model;
  torch::set_num_threads(options.threads);

  // The first N training samples, as the trainer's probes take them.
  const data::Dataset& train = splits.train;
  const std::int64_t n = std::min(options.hessian_samples, train.size());
  std::vector<std::int64_t> shape = {n};
  shape.insert(shape.end(), train.sample_shape.begin(), train.sample_shape.end());
  const torch::Tensor x = torch::from_blob(const_cast<float*>(train.features.data()), shape, torch::kFloat32);
  const torch::Tensor y =
      classification ? (train.labels_per_sample > 1
                            ? torch::from_blob(const_cast<std::int64_t*>(train.labels.data()), {n, train.labels_per_sample}, torch::kInt64)
                            : torch::from_blob(const_cast<std::int64_t*>(train.labels.data()), {n}, torch::kInt64))
                     : torch::from_blob(const_cast<float*>(train.targets.data()), {n, 1}, torch::kFloat32);

  DiagnoseRunResult result;
  model->eval();  // batch norm with its running statistics: the function the run ended with
  diag::HessianOperator hessian(*model, x, y, classification);
  const auto top = diag::lanczos(hessian.as_operator(), hessian.dimension(), options.top_eigenvalues, options.lanczos_iterations, 1);
  for (std::size_t k = 0; k < top.eigenvalues.size(); ++k) result.values[fmt::format("eigenvalue/{}", k)] = top.eigenvalues[k];
  result.values["sharpness"] = top.eigenvalues.front();
  const auto trace = diag::hutchinson_trace(hessian.as_operator(), hessian.dimension(), options.trace_samples, 2);
  result.values["hessian_trace"] = trace.mean;
  result.values["hessian_trace_se"] = trace.standard_error;
  const auto density = diag::spectral_density(hessian.as_operator(), hessian.dimension(), options.density_probes, options.density_iterations, 3);
  result.density_nodes = density.nodes;
  result.density_weights = density.weights;
  result.values["gradient_norm"] = hessian.gradient().norm().item<double>();
  result.values["hvp_count"] = hessian.products();
  const ParamValues& hyper = config.optimizers.front().hyper;
  if (hyper.count("lr")) result.values["two_over_lr"] = 2.0 / hyper.at("lr");
  if (!config.model.batch_norm && config.model.kind != "transformer") {
    const std::int64_t m = std::min(options.gradient_samples, train.size());
    const auto statistics = batch::per_sample_statistics(*model, x.slice(0, 0, std::min(m, n)), y.slice(0, 0, std::min(m, n)), classification);
    result.values["noise_scale"] = diag::noise_scale(statistics);
    result.values["coherence"] = diag::coherence(statistics);
  }
  for (const auto& item : model->named_parameters()) result.values["parameter_norm/" + item.key()] = item.value().norm().item<double>();

  // The report: the figures, and the density on a log scale.
  std::string md = fmt::format("# Diagnosis of run {} ({}, {} seed {})\n\nFinal parameters from `{}`; the loss on the first {} training "
                               "samples. {} Hessian-vector products.\n\n| quantity | value |\n|---|---|\n",
                               run_id, config.name, stored.label, stored.seed, stored.parameters.string(), n, hessian.products());
  for (const auto& [name, value] : result.values) md += fmt::format("| {} | {:.6g} |\n", name, value);
  report::ChartSpec chart{"Hessian spectral density (SLQ, Gaussian-smoothed)", "eigenvalue", "density", true, {}};
  chart.lines.push_back({"density", report::series_color(0), smoothed_density(density)});
  const auto dir = options.report_dir / fmt::format("diagnose-run-{}", run_id);
  env::write_file_atomically(dir / "report.md", md);
  env::write_file_atomically(dir / "report.html", report::html_page(fmt::format("descent diagnose run {}", run_id),
                                                                    report::render_svg(chart) + "<pre>" + text::html_escape(md) + "</pre>"));
  result.report = dir / "report.md";
  return result;
}

}  // namespace descent::study
