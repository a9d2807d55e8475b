// lr-vs-batch: Granziol, Zohren & Roberts, "Learning Rates as a Function of Batch Size: A Random
// Matrix Theory Approach" (JMLR). The mini-batch Hessian is the full one plus a fluctuation whose
// width falls like 1/B, so its top eigenvalue exceeds the full-data one by about c/B; the largest
// stable step then grows linearly in B for SGD (2/lambda_max) and like sqrt(B) for Adam. The specs'
// scaled version: an MLP 20-100-100-4 on a Gaussian mixture.
#include <fmt/format.h>

#include <cmath>

#include "../study_tools.hpp"
#include "descent/core/rng.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/report/series.hpp"
#include "descent/diag/spectrum.hpp"
#include "descent/models/models.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "descent/report/svg_chart.hpp"

namespace descent::repro {
namespace {

const std::vector<std::int64_t> kBatches = {8, 16, 32, 64, 128, 256, 512};
constexpr std::int64_t kFull = 4096;
// The excess lambda_max(H_B) - lambda_max(H) falls like 1/B while its batch-to-batch spread falls
// only like 1/sqrt(B): the first version's 5 batches per size left the large-batch excesses inside
// their noise (one came out negative). 32 batches per size, and a bootstrap interval on the slope.
constexpr int kBatchesPerSize = 32, kStabilitySteps = 200, kLanczosIterations = 60, kBootstrap = 1000;

// The slopes the theory predicts, with the specs' tolerance around each.
struct SlopeRange {
  double low, high;
  bool contains(double slope) const { return slope >= low && slope <= high; }
};
constexpr SlopeRange kExcessSlope{-1.3, -0.7}, kSgdSlope{0.7, 1.2}, kAdamSlope{0.3, 0.7};

const Criterion kExcessFallsAsOneOverB{
    "slope of log(lambda_max(H_B) - lambda_max(H)) against log B",
    fmt::format("every batch size's mean lambda_max(H_B) exceeds the full-data value and the log-log slope lies in [{}, {}] (theory: -1)",
                kExcessSlope.low, kExcessSlope.high)};
const Criterion kSgdLinear{"SGD: slope of log(largest stable lr) against log B",
                           fmt::format("in [{}, {}] (theory: 1, linear scaling)", kSgdSlope.low, kSgdSlope.high)};
const Criterion kAdamSquareRoot{"Adam: slope of log(largest stable lr) against log B",
                                fmt::format("in [{}, {}] (theory: 1/2, square-root scaling)", kAdamSlope.low, kAdamSlope.high)};

struct Setup {
  torch::Tensor x, y;
  std::shared_ptr<models::Model> model;
  std::vector<torch::Tensor> initial;  // parameters of the (briefly trained) reference point
};

Setup make_setup() {
  const data::Splits splits = data::gaussian_mixture({kFull, 10, 20, 4, 1.0}, 3);
  Setup s;
  s.x = torch::from_blob(const_cast<float*>(splits.train.features.data()), {kFull, 20}, torch::kFloat32).clone();
  s.y = torch::from_blob(const_cast<std::int64_t*>(splits.train.labels.data()), {kFull}, torch::kInt64).clone();
  torch::manual_seed(0);
  s.model = models::make_model({"mlp", {100, 100}, "tanh"}, {20}, 4);
  // A short full-batch run moves the point off initialization, where curvature is atypical.
  optim::Optimizer sgd("sgd", {{"lr", 0.1}}, s.model->named_parameters());
  for (int t = 0; t < 100; ++t) {
    sgd.zero_grad();
    torch::nn::functional::cross_entropy(s.model->forward(s.x), s.y).backward();
    sgd.step();
  }
  for (const auto& p : s.model->parameters()) s.initial.push_back(p.detach().clone());
  return s;
}

void reset(Setup& s) {
  torch::NoGradGuard no_grad;
  auto parameters = s.model->parameters();
  for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(s.initial[i]);
}

double top_eigenvalue(Setup& s, const torch::Tensor& rows) {
  diag::HessianOperator h(*s.model, s.x.index_select(0, rows), s.y.index_select(0, rows), true);
  return diag::lanczos(h.as_operator(), h.dimension(), 1, kLanczosIterations, 1).eigenvalues.front();
}

// Whether `steps` steps of `optimizer` at `lr` with batch `b` stay stable: finite, and the
// full-data loss at the end no more than twice the start's.
bool stable(Setup& s, const std::string& optimizer, double lr, std::int64_t b, std::uint64_t seed) {
  reset(s);
  optim::Optimizer opt(optimizer, {{"lr", lr}}, s.model->named_parameters());
  const double start = torch::nn::functional::cross_entropy(s.model->forward(s.x), s.y).item<double>();
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  for (int t = 0; t < kStabilitySteps; ++t) {
    const torch::Tensor rows = torch::randperm(kFull, generator).slice(0, 0, b);
    opt.zero_grad();
    const torch::Tensor loss = torch::nn::functional::cross_entropy(s.model->forward(s.x.index_select(0, rows)), s.y.index_select(0, rows));
    if (!std::isfinite(loss.item<double>())) return false;
    loss.backward();
    opt.step();
  }
  torch::NoGradGuard no_grad;
  const double end = torch::nn::functional::cross_entropy(s.model->forward(s.x), s.y).item<double>();
  return std::isfinite(end) && end <= 2 * start;
}

// The largest stable rate by bisection in log space between 1e-4 and 1e3.
double largest_stable_rate(Setup& s, const std::string& optimizer, std::int64_t b) {
  double low = std::log(1e-4), high = std::log(1e3);
  for (int i = 0; i < 12; ++i) {
    const double mid = 0.5 * (low + high);
    (stable(s, optimizer, std::exp(mid), b, static_cast<std::uint64_t>(b)) ? low : high) = mid;
  }
  return std::exp(low);
}

double standard_error(const std::vector<double>& values) {
  const double m = mean(values);
  double squares = 0;
  for (const double v : values) squares += (v - m) * (v - m);
  return std::sqrt(squares / static_cast<double>(values.size() - 1) / static_cast<double>(values.size()));
}

Outcome run_lr_vs_batch(const Context&) {
  torch::set_num_threads(1);
  Setup s = make_setup();
  reset(s);
  const double full = top_eigenvalue(s, torch::arange(kFull));
  std::vector<double> log_b, log_excess, log_sgd, log_adam;
  std::string md = "| batch | mean lambda_max(H_B) +- standard error | excess over full data | largest stable lr, SGD | Adam |\n|---|---|---|---|---|\n";
  report::ChartSpec chart{"Against batch size (log-log)", "log10 batch", "value", true, {}};
  report::BandSeries excess_line, sgd_line, adam_line;
  std::vector<std::vector<double>> samples;  // lambda_max(H_B) per batch, per size
  for (const std::int64_t b : kBatches) {
    // Every curvature is measured at the reference point: the stable-rate search below trains the
    // model, and the first version measured each batch size after the previous one's search had
    // moved it (only B = 8 and the full data were at the reference point).
    reset(s);
    std::vector<double> values;
    for (int k = 0; k < kBatchesPerSize; ++k) {
      torch::Generator generator = at::detail::createCPUGenerator(static_cast<std::uint64_t>(1000 * b + k));
      values.push_back(top_eigenvalue(s, torch::randperm(kFull, generator).slice(0, 0, b)));
    }
    const double average = mean(values);
    samples.push_back(values);
    const double sgd = largest_stable_rate(s, "sgd", b), adam = largest_stable_rate(s, "adam", b);
    md += fmt::format("| {} | {:.3f} +- {:.3f} | {:.3f} | {:.3g} | {:.3g} |\n", b, average, standard_error(values), average - full, sgd, adam);
    log_b.push_back(std::log(static_cast<double>(b)));
    if (average > full) log_excess.push_back(std::log(average - full));
    log_sgd.push_back(std::log(sgd));
    log_adam.push_back(std::log(adam));
    const double x = std::log10(static_cast<double>(b));
    if (average > full) excess_line.add(x, average - full);
    sgd_line.add(x, sgd);
    adam_line.add(x, adam);
  }
  chart.lines.push_back({"lambda_max(H_B) - lambda_max(H)", report::series_color(0), excess_line});
  chart.lines.push_back({"largest stable lr, SGD", report::series_color(1), sgd_line});
  chart.lines.push_back({"largest stable lr, Adam", report::series_color(2), adam_line});

  // The excess slope's 95% interval: resample each size's batches with replacement.
  std::vector<double> boot;
  Rng rng(11);
  for (int r = 0; r < kBootstrap; ++r) {
    std::vector<double> xs, ys;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      double m = 0;
      for (int k = 0; k < kBatchesPerSize; ++k) m += samples[i][rng.below(kBatchesPerSize)] / kBatchesPerSize;
      if (m > full) xs.push_back(log_b[i]), ys.push_back(std::log(m - full));
    }
    if (xs.size() == samples.size()) boot.push_back(least_squares_slope(xs, ys));
  }
  const std::string interval = boot.empty() ? "no resample had every excess positive"
                                            : fmt::format("95% bootstrap interval [{:.2f}, {:.2f}], {} of {} resamples with every excess positive",
                                                          report::quantile(boot, 0.025), report::quantile(boot, 0.975), boot.size(), kBootstrap);

  Outcome outcome;
  const bool all_excess = log_excess.size() == log_b.size();
  const double s_excess = all_excess ? least_squares_slope(log_b, log_excess) : NAN;
  const double s_sgd = least_squares_slope(log_b, log_sgd), s_adam = least_squares_slope(log_b, log_adam);
  outcome.record(kExcessFallsAsOneOverB,
                 all_excess ? fmt::format("{:.2f} ({})", s_excess, interval)
                            : "lambda_max(H_B) fell below the full-data value (" + interval + ")",
                 all_excess && kExcessSlope.contains(s_excess));
  outcome.record(kSgdLinear, fmt::format("{:.2f}", s_sgd), kSgdSlope.contains(s_sgd));
  outcome.record(kAdamSquareRoot, fmt::format("{:.2f}", s_adam), kAdamSlope.contains(s_adam));
  outcome.details_markdown = fmt::format(
      "MLP 20-100-100-4 (tanh), Gaussian mixture of {} points, after 100 full-batch SGD steps. lambda_max by {} Lanczos "
      "iterations, mean over {} batches per size; full data: {:.3f}. Largest stable rate: bisection (12 halvings in log "
      "space over [1e-4, 1e3]) for 'finite and the full-data loss at most doubles over {} steps from the same point'.\n\n",
      kFull, kLanczosIterations, kBatchesPerSize, full, kStabilitySteps) + md;
  if (!kAdamSlope.contains(s_adam)) {
    outcome.details_markdown +=
        "\nAdam's stable rate grows faster than sqrt(B) here. The square-root rule follows, in the paper, from Adam's "
        "preconditioner normalizing the gradient noise, in the regime where that noise dominates the curvature; the "
        "stability test here is a single 200-step run per rate and batch size (final full-data loss at most twice the "
        "start), which also passes runs that spike and recover, and Adam's early steps are about lr in size whatever the "
        "batch. Kept as a FAIL with this caveat: a finding of this scale and this stability rule, not a defect found.\n";
  }
  outcome.charts.push_back(chart);
  return outcome;
}

}  // namespace

Experiment lr_vs_batch_experiment() {
  return {"lr-vs-batch",
          "Granziol, Zohren & Roberts, Learning Rates as a Function of Batch Size: A Random Matrix Theory Approach (JMLR)",
          "the mini-batch Hessian's top eigenvalue exceeds the full one by about c/B, so the largest stable learning rate "
          "grows linearly with the batch for SGD and like its square root for Adam",
          {kExcessFallsAsOneOverB, kSgdLinear, kAdamSquareRoot},
          "about a minute",
          Budget::full,
          run_lr_vs_batch};
}

}  // namespace descent::repro
