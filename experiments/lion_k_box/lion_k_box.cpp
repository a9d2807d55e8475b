// lion-k-box: Lion and Lion-K with decoupled weight decay lambda solve the constrained problem
// (Chen, Liu, Liang & Liu, "Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts",
// ICLR 2024). On f = 0.5 ||x - c||^2 with c outside the feasible set, from a start outside it:
// Lion (K = l1) enters the box ||x||_inf <= 1/lambda, stays, and converges to clip(c); Lion-K with
// K = l2 does the same for the ball ||x||_2 <= 1/lambda and the projection of c onto it.
#include <fmt/format.h>

#include <cmath>

#include "../study_tools.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/report/svg_chart.hpp"

namespace descent::repro {
namespace {

constexpr double kLr = 1e-3, kLambda = 0.5, kSteps = 20000;
const std::vector<double> kTarget = {3, -0.5, 2, -4};
const std::vector<double> kStart = {5, 5, -5, 5};

double norm_inf(const std::vector<double>& x) {
  double m = 0;
  for (const double v : x) m = std::max(m, std::abs(v));
  return m;
}
double norm_2(const std::vector<double>& x) {
  double s = 0;
  for (const double v : x) s += v * v;
  return std::sqrt(s);
}
double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

struct Result {
  std::int64_t entered = -1;  // first step exactly inside the set
  bool left_after_entering = false;
  bool contracted = true;  // outside the set, the distance to it shrank by (1 - lr lambda) or more every step
  std::vector<double> final_x;
  report::BandSeries norm_trace;
};

Result run_lion(const std::string& optimizer, double (*set_norm)(const std::vector<double>&)) {
  std::vector<double> x = kStart;
  optim::BufferOptimizer<double> lion(optimizer, {{"lr", kLr}, {"weight_decay", kLambda}}, {std::span<double>(x)});
  Result result;
  const double bound = 1.0 / kLambda;
  double outside = std::max(0.0, set_norm(x) - bound);
  for (std::int64_t t = 1; t <= static_cast<std::int64_t>(kSteps); ++t) {
    std::vector<double> g(4);
    for (int i = 0; i < 4; ++i) g[i] = x[i] - kTarget[i];
    lion.step({std::span<const double>(g)});
    const double n = set_norm(x);
    const double now_outside = std::max(0.0, n - bound);
    // The derived invariance: x+ = (1 - lr lambda) x - lr s with ||s|| <= 1 in the dual norm.
    if (now_outside > (1 - kLr * kLambda) * outside + 1e-12) result.contracted = false;
    outside = now_outside;
    const bool inside = n <= bound;
    if (inside && result.entered < 0) result.entered = t;
    if (!inside && result.entered >= 0) result.left_after_entering = true;
    if (t % 50 == 0) result.norm_trace.add(static_cast<double>(t), n);
  }
  result.final_x = x;
  return result;
}

Outcome run_box(const Context&) {
  const Result box = run_lion("lion", norm_inf);
  const Result ball = run_lion("lion_l2", norm_2);
  std::vector<double> clipped, projected;
  for (const double c : kTarget) clipped.push_back(std::clamp(c, -1 / kLambda, 1 / kLambda));
  for (const double c : kTarget) projected.push_back(c / (kLambda * norm_2(kTarget)));
  const double box_error = distance(box.final_x, clipped), ball_error = distance(ball.final_x, projected);

  Outcome outcome;
  // A coordinate whose unconstrained optimum lies beyond the bound approaches the boundary from
  // outside geometrically, x - 1/lambda = (1 - lr lambda)^t (x0 - 1/lambda): it reaches the set
  // only in the limit. The first version of this check asked for exact entry and failed for that
  // reason; what the theory gives, and what is checked, is the contraction outside and staying
  // inside once in. Exact entry is reported as measured.
  outcome.checks.push_back({"Lion: outside the box the distance shrinks by at least (1 - lr lambda) per step; inside it stays",
                            fmt::format("contraction held at every step: {}; exactly inside from step {} ({}); left afterwards: {}",
                                        box.contracted ? "yes" : "no", box.entered,
                                        box.entered > 0 ? "entered" : "still approaching the boundary from outside",
                                        box.left_after_entering ? "yes" : "no"),
                            box.contracted && !box.left_after_entering});
  outcome.checks.push_back({"Lion converges to clip(c, -1/lambda, 1/lambda)",
                            fmt::format("distance {:.2e} (bound 5 lr = {:.0e})", box_error, 5 * kLr), box_error <= 5 * kLr});
  outcome.checks.push_back({"Lion-K (l2): outside the ball the distance shrinks by at least (1 - lr lambda) per step; inside it stays",
                            fmt::format("contraction held at every step: {}; exactly inside from step {}; left afterwards: {}",
                                        ball.contracted ? "yes" : "no", ball.entered, ball.left_after_entering ? "yes" : "no"),
                            ball.contracted && !ball.left_after_entering});
  outcome.checks.push_back({"Lion-K (l2) converges to the projection of c onto the ball",
                            fmt::format("distance {:.2e} (bound 5 lr)", ball_error), ball_error <= 5 * kLr});
  outcome.details_markdown = fmt::format(
      "f(x) = 0.5 ||x - c||^2 with c = (3, -0.5, 2, -4), start (5, 5, -5, 5), lr {}, lambda {}, beta = (0.9, 0.99), {} "
      "steps. Lion final x = ({:.4f}, {:.4f}, {:.4f}, {:.4f}); Lion-K (l2) final x = ({:.4f}, {:.4f}, {:.4f}, {:.4f}).\n",
      kLr, kLambda, kSteps, box.final_x[0], box.final_x[1], box.final_x[2], box.final_x[3], ball.final_x[0], ball.final_x[1],
      ball.final_x[2], ball.final_x[3]);
  report::ChartSpec chart{"Constraint norm against step (bound 1/lambda = 2)", "step", "norm", false, {}};
  chart.lines.push_back({"Lion: ||x||_inf", report::series_color(0), box.norm_trace});
  chart.lines.push_back({"Lion-K l2: ||x||_2", report::series_color(1), ball.norm_trace});
  outcome.charts.push_back(chart);
  return outcome;
}

}  // namespace

Experiment lion_k_box_experiment() {
  return {"lion-k-box",
          "Chen, Liu, Liang & Liu, Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts (ICLR 2024)",
          "Lion with decoupled weight decay lambda minimizes f subject to ||x||_inf <= 1/lambda (Lion-K: the set given by K*); "
          "iterates first move into the set, then minimize inside it",
          "PASS when, from outside, Lion and Lion-K (l2) each shrink their distance to their set by at least (1 - lr lambda) "
          "per step, never leave it once inside, and end within 5 lr of the constrained optimum (clip(c) and the ball "
          "projection of c) after 2e4 steps",
          "under a second", run_box};
}

}  // namespace descent::repro
