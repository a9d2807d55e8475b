// exadam: Adly, "EXAdam: The Power of Adaptive Cross-Moments" (arXiv 2412.20302). EXAdam is Adam
// with each moment's bias correction scaled by the other moment (d1 = 1 + v/(v + eps) b2^t on m and
// g, d2 = 1 + m^2/(m^2 + eps) b1^t on v), the current gradient added to the momentum ("gradient
// acceleration"), and, in the first version (v1, Dec 2024), a step growing as
// lr ln(sqrt(2) sqrt(t + 1)); the current version (v2, May 2025) keeps the step at lr. descent's
// port is optimizer "exadam" (growing_step = true for v1). Checked here:
//   - the port follows the specs' three-step trajectories of both versions (specs-20-39, entry 19:
//     x0 = [1, -2, 0.5], lr 1e-3, the gradients of entry 16) to 1e-9 in double;
//   - on Fashion-MNIST (the study file: MLP 784-256-10, 3 epochs, full training set less 5000
//     validation images), each of Adam, EXAdam v2 and EXAdam v1 at its own rate from
//     {3e-4, 1e-3, 3e-3}, chosen on median validation accuracy over 3 seeds, EXAdam's median test
//     accuracy is no worse than Adam's by more than half a point.
// Why that claim and not the paper's: its headline (a CIFAR-10 CNN: v1 +2.39 test points over Adam
// and 48.07% faster convergence, v2 +1.17 points and 38.46%) is one setup the specs could not read
// and ask not to require. Half a point, fixed before any run and under half the paper's smallest
// claimed gain (1.17 points), is the margin that would count as a regression.
// Whether the paper's direction holds (EXAdam more accurate; Adam's final training loss reached
// in fewer steps) is reported with the numbers below the checks, not checked.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <span>

#include "../study_tools.hpp"
#include "descent/core/error.hpp"
#include "descent/experiment_configs.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/report/series.hpp"
#include "descent/report/svg_chart.hpp"

namespace descent::repro {
namespace {

// The specs' test vector (entry 19, computed there from the reference code).
constexpr double kVectorLr = 1e-3, kVectorTolerance = 1e-9;
const std::vector<double> kStart = {1, -2, 0.5};
const std::vector<std::vector<double>> kGradients = {{1, -0.5, 0}, {0.5, 0.5, 2}, {-1, 0.25, 1}};
const std::vector<std::vector<double>> kV2Trajectory = {
    {0.9840475788, -1.9840478067, 0.5}, {0.9777189988, -1.9919429261, 0.487843701}, {0.9840219017, -1.9955608775, 0.4822878101}};
const std::vector<std::vector<double>> kV1Trajectory = {
    {0.9889426242, -1.9889427822, 0.5}, {0.9832729777, -1.9960158596, 0.489109418}, {0.9898262367, -1.9997775189, 0.483332843}};

// The training comparison.
const std::vector<double> kRates = {3e-4, 1e-3, 3e-3};
constexpr double kPoints = 0.005;  // accuracy margin: half a point

std::string vector_threshold() {
  return fmt::format("x after each of the {} steps within {:.0e} of the specs' values, in double (x0 = [{}], lr {})", kGradients.size(),
                     kVectorTolerance, fmt::join(kStart, ", "), kVectorLr);
}

std::string no_worse_than_adam(const std::string& version) {
  return fmt::format("EXAdam {}'s median test accuracy is at least Adam's minus {:.1f} points, each at its rate from {{{}}} with the "
                     "best median validation accuracy",
                     version, 100 * kPoints, fmt::join(kRates, ", "));
}

const Criterion kV2Vector{"EXAdam v2 (step lr) on the specs' test vector", vector_threshold()};
const Criterion kV1Vector{"EXAdam v1 (step lr ln(sqrt(2) sqrt(t + 1))) on the specs' test vector", vector_threshold()};
const Criterion kV2NoWorse{"EXAdam v2 against Adam on Fashion-MNIST: median test accuracy at tuned rates", no_worse_than_adam("v2")};
const Criterion kV1NoWorse{"EXAdam v1 against Adam on Fashion-MNIST: median test accuracy at tuned rates", no_worse_than_adam("v1")};

// The largest distance of the port's iterates from the specs' trajectory.
double trajectory_error(bool growing_step, const std::vector<std::vector<double>>& expected) {
  std::vector<double> x = kStart;
  optim::BufferOptimizer<double> exadam("exadam", {{"lr", kVectorLr}, {"growing_step", growing_step ? 1.0 : 0.0}},
                                        {std::span<double>(x)});
  double largest = 0.0;
  for (std::size_t t = 0; t < kGradients.size(); ++t) {
    exadam.step({std::span<const double>(kGradients[t])});
    for (std::size_t i = 0; i < x.size(); ++i) largest = std::max(largest, std::abs(x[i] - expected[t][i]));
  }
  return largest;
}

std::string rate_label(const std::string& optimizer, double rate) { return fmt::format("{} lr={}", optimizer, rate); }

// The study file's three entries (Adam, v2, v1), each repeated at every rate of kRates.
study::StudyConfig sweep_config(const study::StudyConfig& file) {
  study::StudyConfig config = file;
  config.optimizers.clear();
  for (const train::OptimizerEntry& entry : file.optimizers) {
    for (const double rate : kRates) {
      train::OptimizerEntry swept = entry;
      swept.hyper["lr"] = rate;
      swept.label = rate_label(entry.label, rate);
      config.optimizers.push_back(std::move(swept));
    }
  }
  return config;
}

// The study file's entry label of Adam, EXAdam v2 or EXAdam v1, found by what the entry is.
std::string entry_label(const study::StudyConfig& file, const std::string& name, bool growing_step) {
  for (const train::OptimizerEntry& entry : file.optimizers) {
    const auto growing = entry.hyper.find("growing_step");
    if (entry.name == name && (growing != entry.hyper.end() && growing->second != 0.0) == growing_step) return entry.label;
  }
  throw Error(ExitCode::runtime_failure, fmt::format("experiments/exadam/study.toml has no {} entry", name));
}

struct Tuned {
  std::string name;   // Adam, EXAdam v2, EXAdam v1
  std::string label;  // the study file's entry label
  std::vector<double> validation_by_rate;  // median over seeds; NaN where no run finished
  std::vector<std::size_t> finished_by_rate;
  double rate = NAN, validation = NAN, test = NAN;
  std::vector<double> test_values;
  std::vector<std::vector<MetricRow>> training_loss;  // at the tuned rate, one row list per finished seed, by step
  double final_loss = NAN;  // median over seeds of the last logged training loss
};

std::vector<MetricRow> training_losses(const std::vector<MetricRow>& rows) {
  std::vector<MetricRow> losses;
  std::copy_if(rows.begin(), rows.end(), std::back_inserter(losses), [](const MetricRow& r) { return r.name == "train_loss"; });
  std::sort(losses.begin(), losses.end(), [](const MetricRow& a, const MetricRow& b) { return a.step < b.step; });
  return losses;
}

Tuned tune(const Context& context, const std::string& study, std::string name, std::string label) {
  Tuned t;
  t.name = std::move(name);
  t.label = std::move(label);
  const auto validation = medians(context, study, "final_val_accuracy");
  const auto test = medians(context, study, "final_test_accuracy");
  for (const double rate : kRates) {
    const auto it = validation.find(rate_label(t.label, rate));
    const bool any = it != validation.end() && !it->second.values.empty();
    t.validation_by_rate.push_back(any ? it->second.median : NAN);
    t.finished_by_rate.push_back(any ? it->second.values.size() : 0);
    if (any && (std::isnan(t.validation) || it->second.median > t.validation)) {
      t.rate = rate;
      t.validation = it->second.median;
    }
  }
  if (std::isnan(t.rate)) return t;
  const std::string tuned = rate_label(t.label, t.rate);
  t.test = test.at(tuned).median;
  t.test_values = test.at(tuned).values;
  std::vector<double> finals;
  for (const auto& [seed, rows] : metrics_by_seed(context, study, tuned)) {
    t.training_loss.push_back(training_losses(rows));
    if (!t.training_loss.back().empty()) finals.push_back(t.training_loss.back().back().value);
  }
  t.final_loss = report::quantile(finals, 0.5);
  return t;
}

// The first logged step whose training loss (the mean over its logging window) is at most
// `target`, per seed; infinity for a seed that never gets there.
std::vector<double> steps_to(const Tuned& t, double target) {
  std::vector<double> steps;
  for (const auto& losses : t.training_loss) {
    const auto hit = std::find_if(losses.begin(), losses.end(), [&](const MetricRow& r) { return r.value <= target; });
    steps.push_back(hit == losses.end() ? INFINITY : static_cast<double>(hit->step));
  }
  return steps;
}

std::string compare(const Tuned& exadam, const Tuned& adam) {
  return fmt::format("{} {} (lr {}), Adam {} (lr {}); difference {:+.2f} points", exadam.name, format_percent(exadam.test), exadam.rate,
                     format_percent(adam.test), adam.rate, 100 * (exadam.test - adam.test));
}

std::string steps_text(const std::vector<double>& steps) {
  std::vector<std::string> parts;
  for (const double s : steps) parts.push_back(std::isinf(s) ? "not reached" : fmt::format("{:.0f}", s));
  return fmt::format("{}", fmt::join(parts, ", "));
}

// The paper's direction, reported: test accuracy above Adam's, and Adam's final training loss
// reached in fewer steps (the median over seeds of each seed's first step at or below it).
std::string direction(const std::vector<Tuned>& results) {
  const Tuned& adam = results.front();
  const double target = adam.final_loss;
  const double adam_steps = report::quantile(steps_to(adam, target), 0.5);
  std::string md = fmt::format(
      "\nThe paper's direction (reported, not checked). The paper (CIFAR-10 CNN, one setup): v1 +2.39 test points over Adam and "
      "48.07% faster convergence, v2 +1.17 points and 38.46%. Here \"faster\" is read as the steps each optimizer, at its tuned rate, "
      "takes to reach Adam's final training loss ({:.4f}: the median over seeds of its last logged training loss; logged as the "
      "mean of each window of training batches). Adam reaches it at step {:.0f} (median).\n\n"
      "| optimizer | test accuracy - Adam's | more accurate | steps to Adam's final training loss (per seed) | median | fewer steps "
      "than Adam |\n|---|---|---|---|---|---|\n",
      target, adam_steps);
  for (std::size_t k = 1; k < results.size(); ++k) {
    const Tuned& t = results[k];
    const std::vector<double> steps = steps_to(t, target);
    const double median = report::quantile(steps, 0.5);
    md += fmt::format("| {} | {:+.2f} points | {} | {} | {} | {} |\n", t.name, 100 * (t.test - adam.test), t.test > adam.test ? "yes" : "no",
                      steps_text(steps), std::isinf(median) ? "not reached" : fmt::format("{:.0f}", median),
                      median < adam_steps ? fmt::format("yes ({:.0f}% fewer)", 100 * (1 - median / adam_steps)) : "no");
  }
  return md;
}

std::string details(const study::StudyConfig& config, const std::vector<Tuned>& results) {
  std::string md = fmt::format(
      "Fashion-MNIST, {} validation images carved from train, MLP 784-{}-10 (ReLU), {} epochs of batch {}, constant rate, no "
      "weight decay, seeds {}. Each optimizer's rate is the one of {{{}}} with the best median validation accuracy; test accuracy "
      "is then read at that rate. A rate where no run finished (all diverged) is shown as -.\n\n"
      "| optimizer | median validation accuracy at each rate (finished seeds) | tuned rate | median test accuracy | test accuracy "
      "per seed | final training loss (median) |\n|---|---|---|---|---|---|\n",
      config.data.validation, fmt::join(config.model.hidden, "-"), config.train.epochs, config.train.batch_size,
      fmt::join(config.seeds, ", "), fmt::join(kRates, ", "));
  for (const Tuned& t : results) {
    std::vector<std::string> by_rate, per_seed;
    for (std::size_t r = 0; r < kRates.size(); ++r) {
      by_rate.push_back(std::isnan(t.validation_by_rate[r])
                            ? fmt::format("{}: -", kRates[r])
                            : fmt::format("{}: {} ({})", kRates[r], format_percent(t.validation_by_rate[r]), t.finished_by_rate[r]));
    }
    for (const double v : t.test_values) per_seed.push_back(format_percent(v));
    md += fmt::format("| {} | {} | {} | {} | {} | {:.4f} |\n", t.name, fmt::join(by_rate, "; "), t.rate, format_percent(t.test),
                      fmt::join(per_seed, ", "), t.final_loss);
  }
  return md + direction(results);
}

std::vector<report::ChartSpec> charts(const std::vector<Tuned>& results) {
  report::ChartSpec loss{"Training loss against step, each optimizer at its tuned rate (median and quartiles over seeds)", "step",
                         "training loss (window mean)", true, {}};
  report::ChartSpec tuning{"Median validation accuracy against log10(lr)", "log10(lr)", "validation accuracy", false, {}};
  for (std::size_t k = 0; k < results.size(); ++k) {
    const Tuned& t = results[k];
    loss.lines.push_back({fmt::format("{} (lr {})", t.name, t.rate), report::series_color(k), report::aggregate(t.training_loss, "train_loss")});
    report::BandSeries band;
    for (std::size_t r = 0; r < kRates.size(); ++r) {
      if (!std::isnan(t.validation_by_rate[r])) band.add(std::log10(kRates[r]), t.validation_by_rate[r]);
    }
    tuning.lines.push_back({t.name, report::series_color(k), band});
  }
  return {loss, tuning};
}

Outcome run_exadam(const Context& context) {
  const double v2_error = trajectory_error(false, kV2Trajectory), v1_error = trajectory_error(true, kV1Trajectory);

  const study::StudyConfig file = study::parse_study_config(configs::exadam, "experiments/exadam/study.toml");
  const study::StudyConfig config = sweep_config(file);
  run(config, context);
  const std::vector<Tuned> results = {tune(context, config.name, "Adam", entry_label(file, "adam", false)),
                                      tune(context, config.name, "EXAdam v2", entry_label(file, "exadam", false)),
                                      tune(context, config.name, "EXAdam v1", entry_label(file, "exadam", true))};
  const Tuned &adam = results[0], &v2 = results[1], &v1 = results[2];

  Outcome outcome;
  outcome.record(kV2Vector, fmt::format("largest deviation {:.1e}", v2_error), v2_error <= kVectorTolerance);
  outcome.record(kV1Vector, fmt::format("largest deviation {:.1e}", v1_error), v1_error <= kVectorTolerance);
  outcome.record(kV2NoWorse, compare(v2, adam), v2.test >= adam.test - kPoints);
  outcome.record(kV1NoWorse, compare(v1, adam), v1.test >= adam.test - kPoints);
  outcome.charts = charts(results);
  outcome.details_markdown = details(config, results);
  return outcome;
}

}  // namespace

Experiment exadam_experiment() {
  return {"exadam",
          "Adly, EXAdam: The Power of Adaptive Cross-Moments (arXiv 2412.20302)",
          "descent's EXAdam follows the specs' test vectors of both versions, and at its own tuned rate it trains a Fashion-MNIST "
          "MLP to a test accuracy no worse than Adam's at Adam's tuned rate (the paper's gains are reported, not required)",
          {kV2Vector, kV1Vector, kV2NoWorse, kV1NoWorse},
          "about 3 minutes (27 runs of 3 epochs)",
          Budget::full,
          run_exadam};
}

}  // namespace descent::repro
