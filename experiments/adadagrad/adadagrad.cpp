// adadagrad: AdaGrad with the adaptive norm test reaches the constant small batch's final test
// loss in at most half the optimizer steps (Lau, Liu & Kolar, arXiv 2402.11215).
#include <fmt/format.h>

#include "../study_tools.hpp"
#include "descent/experiment_configs.hpp"
#include "descent/report/series.hpp"

namespace descent::repro {
namespace {

constexpr double kStepFraction = 0.5;
// The reference code's values (timlautk/AdAdaGrad: 0.1 on MNIST, 0.25 with SGD-momentum, 0.5 on
// CIFAR); the first version swept {0.05, 0.1, 0.25}, and 0.05 appears nowhere in the paper's runs.
const std::vector<double> kEtas = {0.1, 0.25, 0.5};
const std::vector<std::int64_t> kConstantBatches = {8, 128, 1024};

const Criterion kFewerSteps{"steps for the eta=0.1 norm test to reach the constant-8 run's final test loss",
                            fmt::format("from a batch of 8 with eta = 0.1, every seed reaches the constant-8 run's final test "
                                        "loss, the median within {:.0f}% of that run's optimizer steps",
                                        100 * kStepFraction)};
const Criterion kBatchFallsWithEta{"final batch non-increasing in eta over {0.1, 0.25, 0.5}",
                                   "the median final batch does not grow as eta grows (a looser test enlarges the batch less)"};

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
    if (reached < 0) {
      all_reached = false;
      per_seed += fmt::format("seed {}: target {:.4f} not reached; ", seed, loss);
      continue;
    }
    const double fraction = static_cast<double>(reached) / small_steps.at(seed);
    fractions.push_back(fraction);
    per_seed += fmt::format("seed {}: target {:.4f} reached at step {} of {} ({:.1f}%); ", seed, loss, reached,
                            small_steps.at(seed), 100.0 * fraction);
  }

  Outcome outcome;
  const double median_fraction = all_reached ? report::quantile(fractions, 0.5) : 0.0;
  outcome.record(kFewerSteps,
                 all_reached ? fmt::format("median {:.1f}% of the constant run's steps ({})", 100.0 * median_fraction, per_seed)
                             : fmt::format("not reached in every seed ({})", per_seed),
                 all_reached && median_fraction <= kStepFraction);

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
  outcome.record(kBatchFallsWithEta,
                 fmt::format("median final batches {:.0f}, {:.0f}, {:.0f}", final_batches[0], final_batches[1], final_batches[2]),
                 monotone);
  md += "\nWhy the batch can reach the cap within a few dozen steps: the norm test asks for the batch b whose mean gradient's "
        "variance estimate is at most eta^2 ||g||^2, about min(cap, B_noise / eta^2) with B_noise = tr(Sigma) / ||g||^2 the "
        "gradient noise scale. Whenever B_noise exceeds eta^2 x 4096 (41 at eta = 0.1) the cap binds, and the 300,000-sample "
        "budget then buys only about 70 steps at 4096; the check on steps compares against the constant-8 run's 37,500. The "
        "statistic itself follows the reference code (per-sample variance with correction 1, summed over coordinates, on the "
        "current batch before the step). The 50% of steps is the specs' placeholder, not a number from the paper, whose claims "
        "are at equal sample budgets.\n";
  outcome.details_markdown = md;
  return outcome;
}

}  // namespace

Experiment adadagrad_experiment() {
  return {"adadagrad",
          "Lau, Liu & Kolar, AdAdaGrad: Adaptive Batch Size Schemes for Adaptive Gradient Methods (arXiv 2402.11215)",
          "progressive batching with AdaGrad (the norm test) matches constant small-batch training while taking far fewer "
          "optimizer steps",
          {kFewerSteps, kBatchFallsWithEta},
          "about a minute (18 runs of softmax regression)",
          Budget::full,
          run_adadagrad};
}

}  // namespace descent::repro
