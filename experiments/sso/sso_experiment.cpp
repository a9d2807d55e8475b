// sso: target-based surrogates make more of each expensive gradient: with more inner surrogate
// steps per outer (gradient) step, logistic regression reaches a lower loss for the same number
// of gradients (Lavington et al., ICML 2023). The specs' scaled version on synthetic data.
#include <fmt/format.h>

#include <numeric>

#include "../study_tools.hpp"
#include "descent/core/rng.hpp"
#include "descent/report/series.hpp"
#include "sso.hpp"

namespace descent::repro {
namespace {

constexpr int kSamples = 2000, kDimension = 20, kBatch = 125, kEpochs = 5, kSeeds = 3;

struct Trace {
  std::vector<double> loss;  // full-data loss after each outer step
  sso::InnerStats stats;
};

Trace train(const sso::Data& data, int inner, int batch, std::uint64_t seed) {
  sso::Vector theta(kDimension, 0.0);
  Rng rng(seed);
  std::vector<int> order(data.x.size());
  std::iota(order.begin(), order.end(), 0);
  const int batches = static_cast<int>(data.x.size()) / batch;
  const double expansion = std::pow(1.8, 1.0 / batches);
  const double eta = 1.0 / batch;  // target-space step: z moves by (sigmoid(z) - y) / 2 at the surrogate's minimum
  Trace trace;
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    for (int i = static_cast<int>(order.size()) - 1; i > 0; --i) std::swap(order[i], order[rng.below(static_cast<std::uint64_t>(i) + 1)]);
    for (int b = 0; b < batches; ++b) {
      const std::vector<int> rows(order.begin() + b * batch, order.begin() + (b + 1) * batch);
      const auto h = sso::make_surrogate(data, theta, rows, eta);
      theta = sso::inner_steps(h, theta, inner, expansion, trace.stats);
      trace.loss.push_back(sso::loss(data, theta));
    }
  }
  return trace;
}

const Criterion kMajorizationMinimization{"full batch, eta = 1/n: the loss never rises (majorization-minimization)",
                                          fmt::format("the full-data loss never rises from one outer step to the next, in all {} "
                                                      "seeds",
                                                      kSeeds)};
const Criterion kInnerStepsHelp{"same number of outer steps: m = 10 ends below m = 1",
                                fmt::format("after the same number of outer steps (expensive gradients), m = 10 inner surrogate "
                                            "steps end at a lower loss than m = 1, in all {} seeds",
                                            kSeeds)};

Outcome run_sso(const Context&) {
  Outcome outcome;
  int monotone = 0, better = 0, accepted = 0, cut_short = 0;
  std::string md = "| seed | final loss, m = 1 | m = 10 | full batch m = 10: loss never rose |\n|---|---|---|---|\n";
  report::ChartSpec chart{"Full-data logistic loss against outer steps (expensive gradients), seed 0", "outer step", "loss", true, {}};
  for (int seed = 0; seed < kSeeds; ++seed) {
    const auto data = sso::make_data(kSamples, kDimension, 3.0, static_cast<std::uint64_t>(seed));
    const Trace one = train(data, 1, kBatch, 10 + seed), ten = train(data, 10, kBatch, 10 + seed);
    const Trace full = train(data, 10, kSamples, 10 + seed);  // full batch: majorization-minimization
    bool never_rose = true;
    for (std::size_t t = 1; t < full.loss.size(); ++t) never_rose = never_rose && full.loss[t] <= full.loss[t - 1] + 1e-15;
    monotone += never_rose;
    better += ten.loss.back() < one.loss.back();
    for (const auto* trace : {&one, &ten, &full}) {
      accepted += trace->stats.accepted;
      cut_short += trace->stats.cut_short;
    }
    md += fmt::format("| {} | {:.5f} | {:.5f} | {} |\n", seed, one.loss.back(), ten.loss.back(), never_rose ? "yes" : "no");
    if (seed == 0) {
      for (const auto& [label, trace] : {std::pair{"m = 1", &one}, std::pair{"m = 10", &ten}}) {
        report::BandSeries band;
        for (std::size_t t = 0; t < trace->loss.size(); ++t) {
          band.add(static_cast<double>(t + 1), trace->loss[t]);
        }
        chart.lines.push_back({label, report::series_color(chart.lines.size()), band});
      }
    }
  }
  outcome.record(kMajorizationMinimization, fmt::format("{} of {} seeds", monotone, kSeeds), monotone == kSeeds);
  outcome.record(kInnerStepsHelp, fmt::format("{} of {} seeds", better, kSeeds), better == kSeeds);
  outcome.charts.push_back(chart);
  outcome.details_markdown = fmt::format("Logistic regression, n = {}, d = {}, ||w*|| = 3, minibatch {}, {} epochs ({} outer steps), "
                                         "eta = 1 / batch, inner Armijo from step 10 with expansion 1.8^(1/batches).\n\n",
                                         kSamples, kDimension, kBatch, kEpochs, kEpochs * kSamples / kBatch) +
                             md +
                             fmt::format("\n{} inner steps were taken, each satisfying Armijo (a step is only taken when it "
                                         "does); {} inner loops stopped early for want of such a step.\n",
                                         accepted, cut_short);
  return outcome;
}

}  // namespace

Experiment sso_experiment() {
  return {"sso",
          "Lavington, Vaswani, Babanezhad, Schmidt & Le Roux, Target-based Surrogates for Stochastic Optimization (ICML 2023)",
          "several cheap surrogate steps per expensive gradient improve progress per gradient; with full batches the method is "
          "majorization-minimization",
          {kMajorizationMinimization, kInnerStepsHelp},
          "a few seconds",
          Budget::fast,
          run_sso};
}

}  // namespace descent::repro
