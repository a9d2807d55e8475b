// logistic-large-steps: Tyurin, "From Logistic Regression to the Perceptron Algorithm: Exploring
// Gradient Descent with Large Step Sizes" (arXiv 2412.08424). Gradient descent on the logistic
// loss of linearly separable data, x0 = 0, step gamma. The abstract's claims, checked here:
//   - "LR+GD reduces to a batch version of the celebrated perceptron algorithm when the step size
//     gamma -> infinity": x_t / gamma follows the batch perceptron
//       u+ = u + (1/n) sum_{y_i a_i.u < 0} y_i a_i + (1/2n) sum_{y_i a_i.u = 0} y_i a_i;
//   - "larger step sizes lead LR+GD to higher logistic losses when it tends to the perceptron
//     algorithm, but larger step sizes also lead to faster convergence to a solution for
//     linearly separable datasets": steps beyond the descent lemma's 2/L let the loss rise above
//     its start and still separate sooner than any step below 2/L;
//   - normalized variants (by the gradient norm; by the loss, the specs' two candidate rules)
//     separate within Novikoff's (R / margin)^2 iterations.
// The first version checked that iterations fall monotonically in gamma and that the loss *at
// separation* rises with gamma; neither is in the paper (past 2/L the count sits at the
// perceptron's, and once every point is classified the loss is at most log(1 + e^(-gamma min
// margin)), which falls with gamma). Both were restated as above.
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
constexpr double kPerceptronGamma = 1e8, kLargeLossGamma = 1e2;
constexpr int kMostSeeds = 4;

const Criterion kReducesToPerceptron{
    "gamma = 1e8 follows the batch perceptron",
    fmt::format("at gamma = {:.0e} the predicted labels equal the batch perceptron's at every iteration up to the perceptron's "
                "separation, and both separate at the same iteration, in all {} seeds",
                kPerceptronGamma, kSeeds)};
const Criterion kLargerIsFaster{
    "larger steps separate in fewer iterations",
    fmt::format("over gamma in {{0.1, ..., 1e6}}, with L the loss's smoothness constant per seed: the steps below 2/L separate in "
                "strictly fewer iterations as gamma grows, and every step from 2/L on separates in fewer iterations than every step "
                "below it, in >= {} of {} seeds",
                kMostSeeds, kSeeds)};
const Criterion kSmallStepsDescend{"steps below 2/L never raise the loss above its start",
                                   fmt::format("before separating, the loss of every gamma < 2/L stays at most log 2 = f(x0) (the "
                                               "descent lemma), in all {} seeds",
                                               kSeeds)};
const Criterion kHigherLossYetFaster{
    "large steps reach higher losses on the way, yet separate sooner",
    fmt::format("every gamma >= {:.0e} raises the loss above log 2 before it separates, in >= {} of {} seeds", kLargeLossGamma,
                kMostSeeds, kSeeds)};
const Criterion kNovikoff{"both normalized variants (gamma 1) separate within (R / margin)^2 iterations",
                          fmt::format("in all {} seeds", kSeeds)};

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
  for (auto& v : w) {
    v = rng.normal();
    norm += v * v;
  }
  for (auto& v : w) v /= std::sqrt(norm);
  Data data;
  data.margin = kMargin;
  for (int i = 0; i < kSamples; ++i) {
    std::vector<double> z(kDimension);
    double along = 0, length = 0;
    for (int j = 0; j < kDimension; ++j) {
      z[j] = rng.normal();
      along += z[j] * w[j];
    }
    for (int j = 0; j < kDimension; ++j) {
      z[j] += (kMargin - along) * w[j];
      length += z[j] * z[j];
    }
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
  double highest_loss = 0.0;  // before separating
};

Run gradient_descent(const Data& data, const std::string& optimizer, double gamma) {
  std::vector<double> x(kDimension, 0.0);
  optim::BufferOptimizer<double> gd(optimizer, {{"lr", gamma}}, {std::span<double>(x)});
  double highest = 0.0;
  for (int t = 0; t <= kMaxIterations; ++t) {
    const auto m = margins(data, x);
    if (separated(m)) return {t, loss(m), highest};
    highest = std::max(highest, loss(m));
    const auto g = gradient(data, m);
    gd.step({std::span<const double>(g)}, loss(m));
  }
  return {-1, NAN, highest};
}

// L = lambda_max((1/n) Z^T Z) / 4, the smoothness constant of the mean logistic loss, by power
// iteration (Z^T Z is positive semi-definite, so its top eigenvalue dominates).
double smoothness(const Data& data) {
  std::vector<double> v(kDimension, 1.0), w(kDimension);
  double lambda = 0.0;
  for (int k = 0; k < 500; ++k) {
    std::fill(w.begin(), w.end(), 0.0);
    for (const auto& z : data.a) {
      double s = 0;
      for (int j = 0; j < kDimension; ++j) s += z[j] * v[j];
      for (int j = 0; j < kDimension; ++j) w[j] += s * z[j] / kSamples;
    }
    double norm = 0;
    for (const double c : w) norm += c * c;
    lambda = std::sqrt(norm);
    for (int j = 0; j < kDimension; ++j) v[j] = w[j] / lambda;
  }
  return lambda / 4;
}

// Iterations are "fewer" when a run separates and the other does not, or both do sooner.
bool sooner(const Run& a, const Run& b) { return a.iterations >= 0 && (b.iterations < 0 || a.iterations < b.iterations); }

bool larger_is_faster(const std::vector<Run>& runs, double stability_limit) {
  for (std::size_t k = 0; k < runs.size(); ++k) {
    for (std::size_t j = 0; j < k; ++j) {
      const bool both_small = kGammas[k] < stability_limit;
      const bool across = kGammas[j] < stability_limit && kGammas[k] >= stability_limit;
      if ((both_small || across) && !sooner(runs[k], runs[j])) return false;
    }
  }
  return true;
}

// Whether sign(z_i . x_t) equals sign(z_i . u_t) for all i at every iteration until the batch
// perceptron separates the data; then both have separated at the same iteration.
bool follows_the_perceptron(const Data& data, double gamma) {
  std::vector<double> x(kDimension, 0.0), u(kDimension, 0.0);
  optim::BufferOptimizer<double> gd("sgd", {{"lr", gamma}}, {std::span<double>(x)});
  for (int t = 0; t <= kMaxIterations; ++t) {
    const auto mx = margins(data, x), mu = margins(data, u);
    for (int i = 0; i < kSamples; ++i) {
      if ((mx[i] > 0) != (mu[i] > 0) || (mx[i] < 0) != (mu[i] < 0)) return false;
    }
    if (separated(mu)) return true;
    const auto g = gradient(data, mx);
    gd.step({std::span<const double>(g)});
    for (int i = 0; i < kSamples; ++i) {
      const double weight = mu[i] < 0 ? 1.0 : mu[i] == 0 ? 0.5 : 0.0;
      for (int j = 0; j < kDimension; ++j) u[j] += weight * data.a[i][j] / kSamples;
    }
  }
  return false;
}

Outcome run_logistic(const Context&) {
  Outcome outcome;
  int faster_seeds = 0, descent_seeds = 0, higher_loss_seeds = 0, perceptron_seeds = 0, novikoff_seeds = 0;
  report::ChartSpec chart{"Iterations to separate against log10(gamma)", "log10(gamma)", "iterations", true, {}};
  std::string md = "| seed | R / margin | 2/L | iterations to separate for gamma = 0.1, 1, 10, 1e2, 1e3, 1e6 | highest loss before "
                   "separating | loss at separation | normalized by gradient norm / by loss (gamma 1) | Novikoff bound |\n"
                   "|---|---|---|---|---|---|---|---|\n";
  const double start_loss = std::log(2.0);
  for (int seed = 0; seed < kSeeds; ++seed) {
    const Data data = make_data(static_cast<std::uint64_t>(seed));
    const double limit = 2 / smoothness(data);
    std::vector<Run> runs;
    for (const double gamma : kGammas) runs.push_back(gradient_descent(data, "sgd", gamma));
    bool small_descend = true, large_climb = true;
    for (std::size_t k = 0; k < runs.size(); ++k) {
      if (kGammas[k] < limit) small_descend = small_descend && runs[k].highest_loss <= start_loss + 1e-12;
      if (kGammas[k] >= kLargeLossGamma) large_climb = large_climb && runs[k].highest_loss > start_loss;
    }
    faster_seeds += larger_is_faster(runs, limit);
    descent_seeds += small_descend;
    higher_loss_seeds += large_climb;
    perceptron_seeds += follows_the_perceptron(data, kPerceptronGamma);
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
    std::vector<std::string> iterations, highest, losses;
    for (const auto& r : runs) {
      iterations.push_back(r.iterations < 0 ? fmt::format(">{}", kMaxIterations) : std::to_string(r.iterations));
      highest.push_back(fmt::format("{:.3g}", r.highest_loss));
      losses.push_back(r.iterations < 0 ? "-" : fmt::format("{:.3g}", r.loss_at_separation));
    }
    md += fmt::format("| {} | {:.1f} | {:.2f} | {} | {} | {} | {} / {} | {:.0f} |\n", seed, data.radius / data.margin, limit,
                      fmt::join(iterations, ", "), fmt::join(highest, ", "), fmt::join(losses, ", "), by_norm.iterations,
                      by_loss.iterations, bound);
  }
  outcome.charts.push_back(chart);
  const auto seeds = [](int count) { return fmt::format("{} of {} seeds", count, kSeeds); };
  outcome.record(kReducesToPerceptron, seeds(perceptron_seeds), perceptron_seeds == kSeeds);
  outcome.record(kLargerIsFaster, seeds(faster_seeds), faster_seeds >= kMostSeeds);
  outcome.record(kSmallStepsDescend, seeds(descent_seeds), descent_seeds == kSeeds);
  outcome.record(kHigherLossYetFaster, seeds(higher_loss_seeds), higher_loss_seeds >= kMostSeeds);
  outcome.record(kNovikoff, seeds(novikoff_seeds), novikoff_seeds == kSeeds);
  outcome.details_markdown =
      fmt::format("n = {}, d = {}, every point at margin {} from a random unit separator (unit noise along it), x0 = 0, at most {} "
                  "iterations. Gradient descent is descent's `sgd` (no momentum); the normalized variants are `normalized_gd` and "
                  "`loss_normalized_gd`. The loss at separation is reported, not checked: once every point is classified it is at "
                  "most log(1 + exp(-gamma min margin)), so it falls as gamma grows.\n\n",
                  kSamples, kDimension, kMargin, kMaxIterations) +
      md;
  return outcome;
}

}  // namespace

Experiment logistic_large_steps_experiment() {
  return {"logistic-large-steps",
          "Tyurin, From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent with Large Step Sizes "
          "(arXiv 2412.08424)",
          "on separable data, gradient descent with larger steps tends to the batch perceptron: its logistic loss climbs "
          "higher on the way, yet it separates the data sooner; normalized variants separate within the perceptron's bound",
          {kReducesToPerceptron, kLargerIsFaster, kSmallStepsDescend, kHigherLossYetFaster, kNovikoff},
          "a few seconds",
          Budget::fast,
          run_logistic};
}

}  // namespace descent::repro
