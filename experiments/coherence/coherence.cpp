// coherence: the generalization-mystery paper's contrast (Chatterjee & Zielinski, 2022): per-example
// gradients agree far more on real labels than on random ones, measured as the m-coherence
// alpha / alpha_perp = m ||mean g_i||^2 / mean ||g_i||^2 (1 for orthogonal gradients, m for identical).
#include <fmt/format.h>

#include "../study_tools.hpp"
#include "descent/experiment_configs.hpp"
#include "descent/report/series.hpp"

namespace descent::repro {
namespace {

constexpr double kRatio = 3.0;
constexpr double kSamples = 128.0;  // m: per-example gradients per measurement
constexpr std::size_t kSeeds = 5;

const Criterion kRealMoreCoherent{
    fmt::format("over steps 0-200, real-label m-coherence >= {:.0f}x the random-label value", kRatio),
    fmt::format("over steps 0-200 of the specs' CPU setup, the median over {} seeds of the per-seed median m-coherence (128 alpha) "
                "with real labels is at least {:.0f}x that with random labels",
                kSeeds, kRatio)};

// Per seed, the median m-coherence over the measurements in steps 0-200.
std::map<std::uint64_t, double> m_coherence(const Context& context, const std::string& study, report::BandSeries& trace) {
  std::map<std::uint64_t, double> out;
  std::map<std::int64_t, std::vector<double>> by_step;
  for (const auto& [seed, rows] : metrics_by_seed(context, study, "sgd")) {
    std::vector<double> values;
    for (const auto& row : rows) {
      if (row.name != "coherence" || row.step > 200) continue;
      values.push_back(kSamples * row.value);
      by_step[row.step].push_back(kSamples * row.value);
    }
    out[seed] = report::quantile(values, 0.5);
  }
  for (const auto& [step, values] : by_step) trace.add_spread(static_cast<double>(step), values);
  return out;
}

Outcome run_coherence(const Context& context) {
  auto real = study::parse_study_config(configs::coherence, "experiments/coherence/study.toml");
  auto random = real;
  random.name = "coherence-random-labels";
  random.data.random_labels = true;
  run(real, context);
  run(random, context);
  report::BandSeries real_trace, random_trace;
  const auto real_values = m_coherence(context, real.name, real_trace);
  const auto random_values = m_coherence(context, random.name, random_trace);
  std::vector<double> real_list, random_list;
  // rho = (m alpha - 1) / (m - 1), the mean pairwise cosine-like agreement, does not depend on m;
  // m-coherence = 1 + (m - 1) rho does, and compresses ratios toward 1 when rho is small.
  const auto rho = [](double coherence) { return (coherence - 1) / (kSamples - 1); };
  std::string md = "| seed | m-coherence, real labels | random labels | ratio | rho, real | rho, random | ratio |\n|---|---|---|---|---|---|---|\n";
  for (const auto& [seed, value] : real_values) {
    if (!random_values.count(seed)) continue;
    real_list.push_back(value);
    random_list.push_back(random_values.at(seed));
    const double other = random_values.at(seed);
    md += fmt::format("| {} | {:.2f} | {:.2f} | {:.2f} | {:.4f} | {:.4f} | {:.2f} |\n", seed, value, other, value / other, rho(value),
                      rho(other), rho(value) / rho(other));
  }
  const double real_median = report::quantile(real_list, 0.5), random_median = report::quantile(random_list, 0.5);
  Outcome outcome;
  outcome.record(kRealMoreCoherent,
                 fmt::format("{} seeds: real {:.2f}, random {:.2f}: ratio {:.2f}", real_list.size(), real_median, random_median,
                             real_median / random_median),
                 real_list.size() == kSeeds && real_median >= kRatio * random_median);
  outcome.details_markdown = "MLP 784-256-256-10 (ReLU), 5,000 Fashion-MNIST training images (real or uniformly random labels), SGD lr "
                             "0.05, batch 128, 200 steps; alpha from the first 128 examples of the batch at steps 50, 100, 150, 200; "
                             "m-coherence = 128 alpha. Per seed the median over those steps.\n\n" + md +
                             "\nThe 3x is the specs' number, not the paper's. The paper measures ResNet-50 on ImageNet, where "
                             "real-label m-coherence peaks at about 40 and random-label m-coherence stays below 5, at its own m. "
                             "m-coherence is 1 + (m - 1) rho, so its ratio between two label conditions depends on m and falls "
                             "toward 1 when the mean pairwise agreement rho is small, as it is for this MLP at m = 128. The "
                             "m-independent rho is reported beside it and not checked: choosing it after a FAIL would move the "
                             "check toward the measurement.\n";
  report::ChartSpec chart{"m-coherence (128 alpha) against step: median and IQR over seeds", "step", "m-coherence", true, {}};
  chart.lines.push_back({"real labels", report::series_color(0), real_trace});
  chart.lines.push_back({"random labels", report::series_color(1), random_trace});
  outcome.charts.push_back(chart);
  return outcome;
}

}  // namespace

Experiment coherence_experiment() {
  return {"coherence", "Chatterjee & Zielinski, On the Generalization Mystery in Deep Learning (2022)",
          "per-example gradients are much more coherent on real labels than on random labels, which is why networks generalize "
          "on real data while they can memorize random data",
          {kRealMoreCoherent},
          "under a minute",
          Budget::full,
          run_coherence};
}

}  // namespace descent::repro
