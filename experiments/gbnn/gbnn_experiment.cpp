// gbnn: a one-hidden-layer network grown unit by unit by gradient boosting is one ordinary
// network, as accurate as the same network trained at once by L-BFGS, and its last units matter
// little (Emami & Martinez-Munoz). The specs' scaled version on synthetic two-moons data.
#include <fmt/format.h>

#include <cmath>

#include "../study_tools.hpp"
#include "descent/core/rng.hpp"
#include "descent/report/svg_chart.hpp"
#include "gbnn.hpp"

namespace descent::repro {
namespace {

constexpr int kTrain = 1000, kTest = 1000, kStages = 100;

// Two interleaving half circles with Gaussian noise 0.2; labels -1 / +1.
std::pair<torch::Tensor, torch::Tensor> two_moons(int n, std::uint64_t seed) {
  Rng rng(seed);
  auto x = torch::empty({n, 2}, torch::kFloat64);
  auto y = torch::empty({n}, torch::kFloat64);
  for (int i = 0; i < n; ++i) {
    const bool upper = rng.uniform() < 0.5;
    const double angle = M_PI * rng.uniform();
    x[i][0] = (upper ? std::cos(angle) : 1 - std::cos(angle)) + 0.2 * rng.normal();
    x[i][1] = (upper ? std::sin(angle) : 0.5 - std::sin(angle)) + 0.2 * rng.normal();
    y[i] = upper ? 1.0 : -1.0;
  }
  return {x, y};
}

double accuracy(const torch::Tensor& logit, const torch::Tensor& y) {
  return (logit.sign() == y).to(torch::kFloat64).mean().item<double>();
}

// The same architecture (kStages logistic units) trained at once: L-BFGS on the logistic loss.
double lbfgs_mlp_accuracy(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& x_test, const torch::Tensor& y_test) {
  torch::manual_seed(1);
  auto w1 = (torch::randn({kStages, 2}, torch::kFloat64) * 0.5).requires_grad_(true);
  auto b1 = torch::zeros({kStages}, torch::kFloat64).requires_grad_(true);
  auto w2 = (torch::randn({1, kStages}, torch::kFloat64) * 0.1).requires_grad_(true);
  auto b2 = torch::zeros({1}, torch::kFloat64).requires_grad_(true);
  auto forward = [&](const torch::Tensor& input) { return torch::sigmoid(input.mm(w1.t()) + b1).mm(w2.t()).squeeze(1) + b2; };
  torch::optim::LBFGS lbfgs({w1, b1, w2, b2}, torch::optim::LBFGSOptions(1.0).max_iter(1000).line_search_fn("strong_wolfe"));
  lbfgs.step([&] {
    lbfgs.zero_grad();
    const torch::Tensor loss = torch::nn::functional::softplus(-y * forward(x)).mean() +
                               0.5 * 1e-4 * (w1.pow(2).sum() + w2.pow(2).sum()) / static_cast<double>(x.size(0));
    loss.backward();
    return loss;
  });
  torch::NoGradGuard no_grad;
  return accuracy(forward(x_test), y_test);
}

constexpr double kAssemblyTolerance = 1e-9, kMonotoneShare = 0.95, kPoints = 0.02;
constexpr int kKeptStages = kStages * 3 / 4;

const Criterion kOneNetwork{"the assembled network's logit equals 2F of the staged model",
                            fmt::format("largest difference on the test points <= {:.0e}", kAssemblyTolerance)};
const Criterion kLossFalls{"boosting stages that do not raise the training loss",
                           fmt::format("at least {:.0f}% of the {} stages", 100 * kMonotoneShare, kStages)};
// "Competitive" (the paper's word): not worse by more than the tolerance; better is no failure.
const Criterion kCompetitive{"test accuracy against an L-BFGS network with as many units",
                             fmt::format("the boosted network's test accuracy is at least the L-BFGS network's minus {:.0f} points",
                                         100 * kPoints)};
const Criterion kPruningIsCheap{"test accuracy lost by dropping the last 25% of units",
                                fmt::format("less than {:.0f} points (all {} units against the first {})", 100 * kPoints, kStages,
                                            kKeptStages)};

Outcome run_gbnn(const Context&) {
  torch::set_num_threads(1);
  const auto [x, y] = two_moons(kTrain, 1);
  const auto [x_test, y_test] = two_moons(kTest, 2);
  const gbnn::Booster booster = gbnn::fit(x, y, {kStages, 1, 1.0, 0.5, 200, 1e-4}, 3);

  torch::NoGradGuard no_grad;
  const double assembly_gap = (gbnn::assemble(booster, kStages).forward(x_test) - 2 * booster.staged(x_test, kStages)).abs().max().item<double>();
  int non_increasing = 0;
  double previous = gbnn::mean_loss(torch::full({kTrain}, booster.f0, torch::kFloat64), y);
  for (const double loss : booster.training_loss) {
    non_increasing += loss <= previous + 1e-12;
    previous = loss;
  }
  const double boosted = accuracy(gbnn::assemble(booster, kStages).forward(x_test), y_test);
  const double pruned = accuracy(gbnn::assemble(booster, kKeptStages).forward(x_test), y_test);
  const double direct = lbfgs_mlp_accuracy(x, y, x_test, y_test);

  Outcome outcome;
  outcome.record(kOneNetwork, fmt::format("max difference {:.1e}", assembly_gap), assembly_gap <= kAssemblyTolerance);
  outcome.record(kLossFalls, fmt::format("{} of {} stages", non_increasing, kStages), non_increasing >= kMonotoneShare * kStages);
  outcome.record(kCompetitive, fmt::format("boosted {}, L-BFGS {}", format_percent(boosted), format_percent(direct)),
                 boosted >= direct - kPoints);
  outcome.record(kPruningIsCheap,
                 fmt::format("{} with all {} units, {} with the first {}", format_percent(boosted), kStages, format_percent(pruned),
                             kKeptStages),
                 boosted - pruned < kPoints);
  report::ChartSpec chart{"Training loss against boosting stage", "stage", "mean log(1 + exp(-2yF))", true, {}};
  report::BandSeries band;
  for (std::size_t t = 0; t < booster.training_loss.size(); ++t) {
    band.add(static_cast<double>(t + 1), booster.training_loss[t]);
  }
  chart.lines.push_back({"GBNN", report::series_color(0), band});
  outcome.charts.push_back(chart);
  outcome.details_markdown = fmt::format("Two moons (noise 0.2), {} training and {} test points; {} stages of J = 1 logistic unit, "
                                         "eta 1, subsample 0.5, L-BFGS 200 iterations, L2 1e-4.\n",
                                         kTrain, kTest, kStages);
  return outcome;
}

}  // namespace

Experiment gbnn_experiment() {
  return {"gbnn",
          "Emami & Martinez-Munoz, Sequential Training of Neural Networks with Gradient Boosting (IEEE Access 2023)",
          "a network grown unit by unit by gradient boosting is one ordinary network, competitive with one trained at once, "
          "and switching off its last units costs little",
          {kOneNetwork, kLossFalls, kCompetitive, kPruningIsCheap},
          "about ten seconds",
          Budget::fast,
          run_gbnn};
}

}  // namespace descent::repro
