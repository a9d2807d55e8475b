// ghost-bn: ghost batch norm + the square-root LR rule + regime adaptation close at least half of
// the test-accuracy gap between small-batch and large-batch training (Hoffer et al., NeurIPS 2017).
#include <fmt/format.h>

#include "../study_tools.hpp"
#include "descent/experiment_configs.hpp"

namespace descent::repro {
namespace {

constexpr double kGapClosed = 0.5;
constexpr std::int64_t kSmall = 32, kLarge = 1024;

const Criterion kGapClosedByFixes{
    "share of the small/large-batch test-accuracy gap closed by GBN + sqrt LR + regime adaptation",
    fmt::format("small-batch accuracy exceeds large-batch accuracy and the fixes close at least {:.0f}% of that gap (median over "
                "3 seeds)",
                100 * kGapClosed)};

Outcome run_ghost_bn(const Context& context) {
  const auto base = [] { return study::parse_study_config(configs::ghost_bn, "experiments/ghost_bn/study.toml"); };
  auto small = base();
  small.name = "ghost-bn-small-batch";
  auto large = base();
  large.name = "ghost-bn-large-batch";
  large.train.batch_size = kLarge;
  auto fixed = large;
  fixed.name = "ghost-bn-large-batch-gbn-sqrt-ra";
  fixed.model.ghost_batch = kSmall;
  fixed.batch.reference = kSmall;
  fixed.batch.lr_scaling = batch::LrScaling::sqrt;
  fixed.batch.regime_adaptation = true;
  for (const auto* config : {&small, &large, &fixed}) run(*config, context);

  const double a_small = medians(context, small.name, "final_test_accuracy").at("sgd").median;
  const double a_large = medians(context, large.name, "final_test_accuracy").at("sgd").median;
  const double a_fixed = medians(context, fixed.name, "final_test_accuracy").at("sgd").median;
  const double gap = a_small - a_large;
  const double closed = gap > 0 ? (a_fixed - a_large) / gap : 0.0;

  Outcome outcome;
  outcome.record(kGapClosedByFixes,
                 fmt::format("small {}, large {}, large with the fixes {}: gap {:.2f} points, {:.0f}% closed", format_percent(a_small),
                             format_percent(a_large), format_percent(a_fixed), 100 * gap, 100 * closed),
                 gap > 0 && closed >= kGapClosed);
  outcome.details_markdown = fmt::format(
      "MLP 784-256-256-10 with batch normalization on 10,000 Fashion-MNIST images, SGD momentum 0.9, lr 0.05, weight decay "
      "1e-4, median test accuracy over 3 seeds. Small batch {}: 4 epochs. Large batch {}: 4 epochs, same rate. With the "
      "fixes: ghost batches of {}, lr x sqrt({}/{}), {} epochs.\n",
      kSmall, kLarge, kSmall, kLarge, kSmall, 4 * kLarge / kSmall);
  return outcome;
}

}  // namespace

Experiment ghost_bn_experiment() {
  return {"ghost-bn",
          "Hoffer, Hubara & Soudry, Train longer, generalize better: closing the generalization gap in large batch training "
          "(NeurIPS 2017)",
          "the generalization gap of large batches comes from too few updates; ghost batch norm, the square-root LR rule and "
          "regime adaptation close it",
          {kGapClosedByFixes},
          "about 6 minutes",
          Budget::full,
          run_ghost_bn};
}

}  // namespace descent::repro
