// logistic-large-steps: Tyurin, "From Logistic Regression to the Perceptron Algorithm: Exploring
// Gradient Descent with Large Step Sizes" (arXiv 2412.08424). Gradient descent on the logistic
// loss of linearly separable data, x0 = 0, step gamma:
//   - as gamma grows, x_t / gamma follows the batch perceptron
//       u+ = u + (1/n) sum_{y_i a_i.u < 0} y_i a_i + (1/2n) sum_{y_i a_i.u = 0} y_i a_i;
//   - larger gamma separates the data in fewer iterations while the logistic loss at that moment
//     is higher (the loss is a poor measure of progress);
//   - normalized variants (by the gradient norm; by the loss, the specs' two candidate rules)
//     separate within Novikoff's (R / margin)^2 iterations.
#include <fmt/format.h>

#include <cmath>

#include "../study_tools.hpp"
#include "descent/core/rng.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/report/svg_chart.hpp"

namespace descent::repro {
namespace {

constexpr int kSamples = 1000, kDimension = 50, kSeeds = 5, kMaxIterations = 20000;
constexpr double kMargin = 0.1;
const std::vector<double> kGammas = {0.1, 1, 10, 1e2, 1e3, 1e6};

struct Data {
  std::vector<std::vector<double>> a;  // rows already multiplied by their label: z_i = y_i a_i
  double radius = 0.0;
  double margin = 0.0;  // min_i z_i . w* for the unit separator w*
};

// z_i = margin w* + (I - w* w*^T) xi_i with xi_i ~ N(0, I): every point sits exactly `margin`
// from the separator, with unit-variance noise along it, so the mean of the z_i (the first
// perceptron step) does not separate them. A first version drew Gaussian points with
// |w*.a| >= margin; there one step separated every set at every gamma, which tests nothing.
Data make_data(std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> w(kDimension);
  double norm = 0;
  for (auto& v : w) norm += (v = rng.normal()) * v;
  for (auto& v : w) v /= std::sqrt(norm);
  Data data;
  data.margin = kMargin;
  for (int i = 0; i < kSamples; ++i) {
    std::vector<double> z(kDimension);
    double along = 0, length = 0;
    for (int j = 0; j < kDimension; ++j) along += (z[j] = rng.normal()) * w[j];
    for (int j = 0; j < kDimension; ++j) length += (z[j] += (kMargin - along) * w[j]) * z[j];
    data.radius = std::max(data.radius, std::sqrt(length));
    data.a.push_back(z);
  }
  return data;
}

std::vector<double> margins(const Data& data, const std::vector<double>& x) {
  std::vector<double> m;
  for (const auto& z : data.a) {
    double s = 0;
    for (int j = 0; j < kDimension; ++j) s += z[j] * x[j];
    m.push_back(s);
  }
  return m;
}

// Mean logistic loss, computed stably: log(1 + e^-m) = max(0, -m) + log1p(e^-|m|).
double loss(const std::vector<double>& m) {
  double f = 0;
  for (const double v : m) f += std::max(0.0, -v) + std::log1p(std::exp(-std::abs(v)));
  return f / static_cast<double>(m.size());
}

// grad f = -(1/n) sum sigma(-m_i) z_i, with sigma(-m) = 1 / (1 + e^m) computed stably.
std::vector<double> gradient(const Data& data, const std::vector<double>& m) {
  std::vector<double> g(kDimension, 0.0);
  for (std::size_t i = 0; i < data.a.size(); ++i) {
    const double s = m[i] >= 0 ? std::exp(-m[i]) / (1 + std::exp(-m[i])) : 1 / (1 + std::exp(m[i]));
    for (int j = 0; j < kDimension; ++j) g[j] -= s * data.a[i][j] / kSamples;
  }
  return g;
}

bool separated(const std::vector<double>& m) {
  return std::all_of(m.begin(), m.end(), [](double v) { return v > 0; });
}

struct Run {
  int iterations = -1;  // to separate; -1: not within kMaxIterations
  double loss_at_separation = NAN;
};

Run gradient_descent(const Data& data, const std::string& optimizer, double gamma) {
  std::vector<double> x(kDimension, 0.0);
  optim::BufferOptimizer<double> gd(optimizer, {{"lr", gamma}}, {std::span<double>(x)});
  for (int t = 0; t <= kMaxIterations; ++t) {
    const auto m = margins(data, x);
    if (separated(m)) return {t, loss(m)};
    const auto g = gradient(data, m);
    gd.step({std::span<const double>(g)}, loss(m));
  }
  return {};
}

// Whether sign(z_i . x_t) equals sign(z_i . u_t) for all i over the first 50 iterations.
bool follows_the_perceptron(const Data& data, double gamma) {
  std::vector<double> x(kDimension, 0.0), u(kDimension, 0.0);
  optim::BufferOptimizer<double> gd("sgd", {{"lr", gamma}}, {std::span<double>(x)});
  for (int t = 0; t < 50; ++t) {
    const auto mx = margins(data, x), mu = margins(data, u);
    for (int i = 0; i < kSamples; ++i) {
      if ((mx[i] > 0) != (mu[i] > 0) || (mx[i] < 0) != (mu[i] < 0)) return false;
    }
    const auto g = gradient(data, mx);
    gd.step({std::span<const double>(g)});
    for (int i = 0; i < kSamples; ++i) {
      const double weight = mu[i] < 0 ? 1.0 : mu[i] == 0 ? 0.5 : 0.0;
      for (int j = 0; j < kDimension; ++j) u[j] += weight * data.a[i][j] / kSamples;
    }
  }
  return true;
}

Outcome run_logistic(const Context&) {
  Outcome outcome;
  int fewer_iterations_seeds = 0, higher_loss_seeds = 0, perceptron_seeds = 0, novikoff_seeds = 0;
  report::ChartSpec chart{"Iterations to separate against log10(gamma)", "log10(gamma)", "iterations", true, {}};
  std::string md = "| seed | R / margin | iterations to separate for gamma = 0.1, 1, 10, 1e2, 1e3, 1e6 | loss at separation | "
                   "normalized by gradient norm / by loss (gamma 1) | Novikoff bound |\n|---|---|---|---|---|---|\n";
  for (int seed = 0; seed < kSeeds; ++seed) {
    const Data data = make_data(static_cast<std::uint64_t>(seed));
    std::vector<Run> runs;
    for (const double gamma : kGammas) runs.push_back(gradient_descent(data, "sgd", gamma));
    bool iterations_non_increasing = true, loss_increasing = true;
    for (std::size_t k = 1; k < runs.size(); ++k) {
      const auto iterations = [](const Run& r) { return r.iterations < 0 ? kMaxIterations + 1 : r.iterations; };
      iterations_non_increasing = iterations_non_increasing && iterations(runs[k]) <= iterations(runs[k - 1]);
      loss_increasing = loss_increasing && runs[k].loss_at_separation >= runs[k - 1].loss_at_separation;
    }
    fewer_iterations_seeds += iterations_non_increasing;
    higher_loss_seeds += loss_increasing;
    perceptron_seeds += follows_the_perceptron(data, 1e8);
    const double bound = std::pow(data.radius / data.margin, 2);
    const Run by_norm = gradient_descent(data, "normalized_gd", 1.0), by_loss = gradient_descent(data, "loss_normalized_gd", 1.0);
    const bool within = by_norm.iterations >= 0 && by_norm.iterations <= bound && by_loss.iterations >= 0 && by_loss.iterations <= bound;
    novikoff_seeds += within;
    report::BandSeries band;
    for (std::size_t k = 0; k < runs.size(); ++k) {
      if (runs[k].iterations <= 0) continue;
      band.add(std::log10(kGammas[k]), runs[k].iterations);
    }
    chart.lines.push_back({fmt::format("seed {}", seed), report::series_color(static_cast<std::size_t>(seed)), band});
    std::vector<std::string> iterations, losses;
    for (const auto& r : runs) {
      iterations.push_back(r.iterations < 0 ? fmt::format(">{}", kMaxIterations) : std::to_string(r.iterations));
      losses.push_back(fmt::format("{:.3g}", r.loss_at_separation));
    }
    md += fmt::format("| {} | {:.1f} | {} | {} | {} / {} | {:.0f} |\n", seed, data.radius / data.margin, fmt::join(iterations, ", "),
                      fmt::join(losses, ", "), by_norm.iterations, by_loss.iterations, bound);
  }
  outcome.charts.push_back(chart);
  outcome.checks.push_back({"at gamma = 1e8 the predicted labels follow the batch perceptron's for 50 iterations",
                            fmt::format("{} of {} seeds", perceptron_seeds, kSeeds), perceptron_seeds == kSeeds});
  outcome.checks.push_back({"iterations to separate non-increasing in gamma",
                            fmt::format("{} of {} seeds", fewer_iterations_seeds, kSeeds), fewer_iterations_seeds >= 4});
  outcome.checks.push_back({"logistic loss at first separation increasing in gamma",
                            fmt::format("{} of {} seeds", higher_loss_seeds, kSeeds), higher_loss_seeds >= 4});
  outcome.checks.push_back({"both normalized variants (gamma 1) separate within (R / margin)^2 iterations",
                            fmt::format("{} of {} seeds", novikoff_seeds, kSeeds), novikoff_seeds == kSeeds});
  outcome.details_markdown = fmt::format("n = {}, d = {}, every point at margin {} from a random unit separator (unit noise along it), x0 = 0, at most {} "
                                         "iterations. Gradient descent is descent's `sgd` (no momentum); the normalized variants are "
                                         "`normalized_gd` and `loss_normalized_gd`.\n\n",
                                         kSamples, kDimension, kMargin, kMaxIterations) +
                             md;
  return outcome;
}

}  // namespace

Experiment logistic_large_steps_experiment() {
  return {"logistic-large-steps",
          "Tyurin, From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent with Large Step Sizes "
          "(arXiv 2412.08424)",
          "on separable data, gradient descent with larger steps behaves like the batch perceptron: it separates in fewer "
          "iterations while its logistic loss is higher; normalized variants separate within the perceptron's bound",
          "PASS when at gamma = 1e8 the sign pattern equals the batch perceptron's for 50 iterations (all 5 seeds); iterations "
          "to separate are non-increasing, and (separately) the loss at separation increasing, in gamma over "
          "{0.1 ... 1e6} (each in >= 4 of 5 seeds); both normalized variants at gamma 1 separate within (R/margin)^2 iterations (all seeds)",
          "about half a minute", run_logistic};
}

}  // namespace descent::repro
