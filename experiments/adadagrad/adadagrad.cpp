// adadagrad: AdaGrad with the adaptive norm test reaches the constant small batch's final test
// loss in at most half the optimizer steps (Lau, Liu & Kolar, arXiv 2402.11215).
#include <fmt/format.h>

#include "../study_tools.hpp"
#include "descent/experiment_configs.hpp"
#include "descent/report/series.hpp"

namespace descent::repro {
namespace {

constexpr double kStepFraction = 0.5;
const std::vector<double> kEtas = {0.05, 0.1, 0.25};
const std::vector<std::int64_t> kConstantBatches = {8, 128, 1024};

study::StudyConfig base() { return study::parse_study_config(configs::adadagrad, "experiments/adadagrad/study.toml"); }

std::string constant_study(std::int64_t batch) { return fmt::format("adadagrad-constant-{}", batch); }
std::string adaptive_study(double eta) { return fmt::format("adadagrad-norm-test-eta{}", eta); }

// The first step at which the run's test loss is at most `target`, or -1.
std::int64_t first_step_reaching(const std::vector<MetricRow>& rows, double target) {
  for (const auto& row : rows) {
    if (row.name == "test_loss" && row.value <= target) return row.step;
  }
  return -1;
}

Outcome run_adadagrad(const Context& context) {
  for (const std::int64_t batch : kConstantBatches) {
    auto config = base();
    config.name = constant_study(batch);
    config.train.batch_size = batch;
    run(config, context);
  }
  for (const double eta : kEtas) {
    auto config = base();
    config.name = adaptive_study(eta);
    config.batch.policy = batch::BatchPolicy::adaptive;
    config.batch.test = batch::BatchTest::norm;
    config.batch.threshold = eta;
    run(config, context);
  }

  // Per seed: the constant-8 run's final test loss and steps; when the eta = 0.1 run first reaches it.
  const auto small_loss = summary_by_seed(context, constant_study(8), "final_test_loss");
  const auto small_steps = summary_by_seed(context, constant_study(8), "steps");
  const auto adaptive = metrics_by_seed(context, adaptive_study(0.1), "adagrad");
  std::vector<double> fractions;
  std::string per_seed;
  bool all_reached = true;
  for (const auto& [seed, loss] : small_loss) {
    const std::int64_t reached = adaptive.count(seed) ? first_step_reaching(adaptive.at(seed), loss) : -1;
    all_reached = all_reached && reached > 0;
    const double fraction = reached > 0 ? static_cast<double>(reached) / small_steps.at(seed) : INFINITY;
    fractions.push_back(fraction);
    per_seed += fmt::format("seed {}: target {:.4f} reached at step {} of {} ({:.1f}%); ", seed, loss, reached,
                            small_steps.at(seed), 100.0 * fraction);
  }
  const double median_fraction = report::quantile(fractions, 0.5);

  Outcome outcome;
  outcome.checks.push_back({"steps for the eta=0.1 norm test to reach the constant-8 run's final test loss",
                            fmt::format("median {:.1f}% of the constant run's steps ({})", 100.0 * median_fraction, per_seed),
                            all_reached && median_fraction <= kStepFraction});

  std::vector<double> final_batches;
  std::string md = "Softmax regression on Fashion-MNIST, AdaGrad lr 0.01, 300,000 samples (5 epochs), median over 3 seeds; "
                   "test loss evaluated every 10,000 samples.\n\n"
                   "| run | optimizer steps | final batch | final test loss | final test accuracy |\n|---|---|---|---|---|\n";
  auto row = [&](const std::string& study, const std::string& name) {
    auto median_of = [&](const char* key) {
      std::vector<double> v;
      for (const auto& [seed, value] : summary_by_seed(context, study, key)) v.push_back(value);
      return report::quantile(v, 0.5);
    };
    md += fmt::format("| {} | {:.0f} | {:.0f} | {:.4f} | {} |\n", name, median_of("steps"), median_of("final_batch_size"),
                      median_of("final_test_loss"), format_percent(median_of("final_test_accuracy")));
    return median_of("final_batch_size");
  };
  for (const std::int64_t batch : kConstantBatches) row(constant_study(batch), fmt::format("constant batch {}", batch));
  for (const double eta : kEtas) final_batches.push_back(row(adaptive_study(eta), fmt::format("norm test, eta {}", eta)));
  const bool monotone = std::is_sorted(final_batches.rbegin(), final_batches.rend());
  outcome.checks.push_back({"final batch non-increasing in eta over {0.05, 0.1, 0.25}",
                            fmt::format("median final batches {:.0f}, {:.0f}, {:.0f}", final_batches[0], final_batches[1], final_batches[2]),
                            monotone});
  outcome.details_markdown = md;
  return outcome;
}

}  // namespace

Experiment adadagrad_experiment() {
  return {"adadagrad",
          "Lau, Liu & Kolar, AdAdaGrad: Adaptive Batch Size Schemes for Adaptive Gradient Methods (arXiv 2402.11215)",
          "progressive batching with AdaGrad (the norm test) matches constant small-batch training while taking far fewer "
          "optimizer steps",
          fmt::format("PASS when, from a batch of 8 with eta = 0.1, the median run reaches the constant-8 run's final test loss "
                      "within {:.0f}% of that run's steps (every seed must reach it), and the final batch does not grow with eta",
                      100 * kStepFraction),
          "about 3 minutes (18 runs of softmax regression)", run_adadagrad};
}

}  // namespace descent::repro
