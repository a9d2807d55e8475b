// Running studies for an experiment and reading their stored results back.
#include "study_tools.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"
#include "descent/models/models.hpp"
#include "descent/train/trainer.hpp"
#include "descent/report/series.hpp"
#include "descent/store/store.hpp"
#include "descent/study/study_runner.hpp"

namespace descent::repro {

std::string run(const study::StudyConfig& config, const Context& context) {
  study::StudyConfig copy = config;
  copy.train.threads = context.threads;
  const auto outcome = study::run_study(copy, {context.store, context.report_dir, context.progress});
  if (outcome.failed > 0) throw Error(ExitCode::runtime_failure, fmt::format("study {}: {} runs failed", config.name, outcome.failed));
  fmt::print(stderr, "  study {}: ran {}, reused {} stored runs; report {}\n", config.name, outcome.ran, outcome.skipped,
             outcome.report.html.string());
  return config.name;
}

std::map<std::string, EntrySummary> medians(const Context& context, const std::string& study, const std::string& summary_key) {
  store::Store store(context.store);
  const auto record = store.find_study(study);
  if (!record) throw Error(ExitCode::runtime_failure, "no study " + study);
  std::map<std::string, EntrySummary> out;
  for (const auto& run : store.runs(record->id)) {
    if (run.status != store::RunStatus::finished) continue;
    const auto summary = store.summary(run.id);
    auto& entry = out[run.label];
    entry.label = run.label;
    if (auto it = summary.find(summary_key); it != summary.end()) entry.values.push_back(it->second);
  }
  for (auto& [label, entry] : out) entry.median = report::quantile(entry.values, 0.5);
  return out;
}

namespace {

store::RunRecord finished_run(const Context& context, const std::string& study, const std::string& label, std::uint64_t seed) {
  store::Store store(context.store);
  const auto record = store.find_study(study);
  if (record) {
    for (const auto& run : store.runs(record->id)) {
      if (run.label == label && run.seed == seed && run.status == store::RunStatus::finished) return run;
    }
  }
  throw Error(ExitCode::runtime_failure, fmt::format("study {} has no finished run {} seed {}", study, label, seed));
}

}  // namespace

std::int64_t run_id(const Context& context, const std::string& study, const std::string& label, std::uint64_t seed) {
  return finished_run(context, study, label, seed).id;
}

std::filesystem::path saved_model(const Context& context, const std::string& study, const std::string& label, std::uint64_t seed) {
  return study::model_path(context.store, study, finished_run(context, study, label, seed).run_key);
}

std::shared_ptr<models::Model> load_trained(const models::ModelOptions& options, const data::Dataset& train, const std::filesystem::path& path) {
  const std::shared_ptr<models::Model> model = models::make_model(options, train.sample_shape, train.num_classes);
  train::load_model(*model, path);
  model->eval();
  return model;
}

TrainedModel train_in_memory(const study::StudyConfig& config, const data::Splits& splits, std::uint64_t seed, const std::filesystem::path& path,
                             const Context& context) {
  train::TrainingRun run = study::training_run(config, 0, seed);
  run.train.threads = context.threads;
  run.model_path = path;
  const train::RunResult result = train::train(run, splits);
  return {load_trained(config.model, splits.train, path), result.summary};
}

std::map<std::uint64_t, std::vector<MetricRow>> metrics_by_seed(const Context& context, const std::string& study,
                                                               const std::string& label) {
  store::Store store(context.store);
  std::map<std::uint64_t, std::vector<MetricRow>> out;
  if (const auto record = store.find_study(study)) {
    for (const auto& run : store.runs(record->id)) {
      if (run.label == label && run.status == store::RunStatus::finished) out[run.seed] = store.metrics(run.id);
    }
  }
  return out;
}

std::map<std::uint64_t, double> summary_by_seed(const Context& context, const std::string& study, const std::string& key) {
  store::Store store(context.store);
  std::map<std::uint64_t, double> out;
  if (const auto record = store.find_study(study)) {
    for (const auto& run : store.runs(record->id)) {
      if (run.status != store::RunStatus::finished) continue;
      const auto summary = store.summary(run.id);
      if (auto it = summary.find(key); it != summary.end()) out[run.seed] = it->second;
    }
  }
  return out;
}

std::string format_percent(double fraction) { return fmt::format("{:.2f}%", 100.0 * fraction); }

report::BandSeries window_means(const std::vector<double>& values, std::size_t window) {
  report::BandSeries band;
  for (std::size_t start = 0; start + window <= values.size(); start += window) {
    double sum = 0;
    for (std::size_t i = start; i < start + window; ++i) sum += values[i];
    band.add(static_cast<double>(start), sum / static_cast<double>(window));
  }
  return band;
}

report::BandSeries level_line(double value, double from, double to) {
  report::BandSeries band;
  band.add(from, value);
  band.add(to, value);
  return band;
}

double median(const std::vector<double>& values) { return report::quantile(values, 0.5); }

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (const double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

}  // namespace descent::repro
