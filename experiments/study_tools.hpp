// What experiments share: running a study from a config and reading per-entry medians back.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "descent/core/least_squares.hpp"  // least_squares_slope, for the experiments
#include "descent/core/metrics.hpp"
#include "descent/repro/experiment.hpp"
#include "descent/study/config.hpp"

namespace descent::models {
struct Model;
}

namespace descent::repro {

// Runs (or resumes) a study and returns its name.
std::string run(const study::StudyConfig& config, const Context& context);

struct EntrySummary {
  std::string label;
  std::vector<double> values;  // one per finished seed
  double median = 0.0;
};

// For each optimizer entry of the stored study, the median over seeds of a summary value.
std::map<std::string, EntrySummary> medians(const Context& context, const std::string& study, const std::string& summary_key);

// The id of a finished run of `study` with entry `label` and `seed`; throws if there is none.
std::int64_t run_id(const Context& context, const std::string& study, const std::string& label, std::uint64_t seed);

// Where the finished run of `study` with entry `label` and `seed` saved its parameters (the study
// sets train.save_model); throws if there is no such run. train::load_model reads it.
std::filesystem::path saved_model(const Context& context, const std::string& study, const std::string& label, std::uint64_t seed);

// A model of `options` for samples of `train`, with the parameters saved at `path`, in eval mode.
std::shared_ptr<models::Model> load_trained(const models::ModelOptions& options, const data::Dataset& train, const std::filesystem::path& path);

struct TrainedModel {
  std::shared_ptr<models::Model> model;
  std::map<std::string, double> summary;  // the run's (final_test_accuracy, ...)
};

// Trains `config`'s first optimizer entry with `seed` on splits built in memory (data the study
// machinery cannot load: composites, masks), at the context's thread count, keeping the parameters
// at `path`, and returns the trained model.
TrainedModel train_in_memory(const study::StudyConfig& config, const data::Splits& splits, std::uint64_t seed, const std::filesystem::path& path,
                             const Context& context);

// Metric rows of each finished run of `study` with entry `label`, by seed.
std::map<std::uint64_t, std::vector<MetricRow>> metrics_by_seed(const Context& context, const std::string& study,
                                                               const std::string& label);

// The values of one summary key of each finished run of `study`, by seed.
std::map<std::uint64_t, double> summary_by_seed(const Context& context, const std::string& study, const std::string& key);

std::string format_percent(double fraction);

double mean(const std::vector<double>& values);
double median(const std::vector<double>& values);  // report::quantile's interpolation

// A chart line through the means of consecutive windows of `window` values (a training curve), at
// the index each window starts.
report::BandSeries window_means(const std::vector<double>& values, std::size_t window);

// A horizontal chart line at `value` from x = `from` to `to` (a reference level).
report::BandSeries level_line(double value, double from, double to);

}  // namespace descent::repro
