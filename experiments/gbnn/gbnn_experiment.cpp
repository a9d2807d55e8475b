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
  const double pruned = accuracy(gbnn::assemble(booster, kStages * 3 / 4).forward(x_test), y_test);
  const double direct = lbfgs_mlp_accuracy(x, y, x_test, y_test);

  Outcome outcome;
  outcome.checks.push_back({"the assembled network's logit equals 2F of the staged model", fmt::format("max difference {:.1e}", assembly_gap),
                            assembly_gap <= 1e-9});
  outcome.checks.push_back({"training loss non-increasing in at least 95% of stages",
                            fmt::format("{} of {} stages", non_increasing, kStages), non_increasing >= 0.95 * kStages});
  outcome.checks.push_back({"test accuracy within 2 points of an L-BFGS network with as many units",
                            fmt::format("boosted {}, L-BFGS {}", format_percent(boosted), format_percent(direct)),
                            std::abs(boosted - direct) <= 0.02});
  outcome.checks.push_back({"dropping the last 25% of units costs less than 2 points",
                            fmt::format("{} with all {} units, {} with the first {}", format_percent(boosted), kStages,
                                        format_percent(pruned), kStages * 3 / 4),
                            boosted - pruned < 0.02});
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
          "PASS when the assembled network equals the staged model to 1e-9; the training loss does not rise in >= 95% of "
          "stages; test accuracy is within 2 points of an L-BFGS network with as many units; dropping the last 25% of units "
          "costs < 2 points",
          "about ten seconds", run_gbnn};
}

}  // namespace descent::repro
