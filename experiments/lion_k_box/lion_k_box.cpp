// lion-k-box: Lion and Lion-K with decoupled weight decay lambda solve a constrained problem
// (Chen, Liu, Liang & Liu, "Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts",
// ICLR 2024): Lion minimizes f subject to ||x||_inf <= 1/lambda; Lion-K with K = l2 minimizes it
// on the ball ||x||_2 <= 1/lambda. The abstract's two phases: the iterates first move into the
// set, then minimize f inside it.
//
// The objective is a non-separable quadratic f = 0.5 (x - c)^T A (x - c) (A rotated, so the box-
// constrained optimum is not clip(c)), and the constrained optima come from projected gradient
// descent, an independent solver. The first version used A = I, where the answer is clip(c)
// coordinate by coordinate, and checked the update's own algebra (contraction outside the set)
// and "never left the box" from a start that never entered it: checks that could not fail. Now
//   - the optima are checked against projected gradient descent;
//   - from inside the box, Lion must reach the boundary without crossing it, while a control
//     (the same decay coupled into the gradient, i.e. L2 regularization) must cross it;
//   - from outside, with an interior optimum, Lion must really enter the box and stay.
#include <fmt/format.h>

#include <cmath>

#include "../study_tools.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/report/svg_chart.hpp"

namespace descent::repro {
namespace {

using Vector = std::vector<double>;

constexpr double kLr = 1e-3, kLambda = 0.5, kBound = 1 / kLambda;
constexpr int kSteps = 20000, kAveraged = 1000;
constexpr double kTolerance = 5 * kLr;  // Lion moves every coordinate by about lr per step: it hovers within a few lr
const Vector kTarget = {3, -0.5, 2, -4};           // the unconstrained minimizer, outside both sets
const Vector kInteriorTarget = {1, -0.5, 0.5, -1};  // inside the box: its constrained optimum is itself
const Vector kOutsideStart = {5, 5, -5, 5};

const Criterion kBoxOptimum{"Lion converges to the box-constrained minimizer",
                            fmt::format("from {}, the mean of the last {} iterates lies within {} (5 lr) of the minimizer of f on "
                                        "||x||_inf <= {} found by projected gradient descent",
                                        "(5, 5, -5, 5)", kAveraged, kTolerance, kBound)};
const Criterion kBallOptimum{"Lion-K (l2) converges to the ball-constrained minimizer",
                             fmt::format("the mean of the last {} iterates lies within {} of the minimizer of f on ||x||_2 <= {} "
                                         "found by projected gradient descent",
                                         kAveraged, kTolerance, kBound)};
const Criterion kBoxHolds{
    "from inside, Lion reaches the boundary and never crosses it; L2 coupled into the gradient crosses it",
    fmt::format("from x0 = 0: Lion's largest ||x||_inf over {} steps is within [{} - {}, {}] (+1e-12), while Lion with the decay "
                "added to the gradient instead (the control) exceeds {}",
                kSteps, kBound, kTolerance, kBound, kBound)};
const Criterion kEntersTheBox{"from outside, with an interior optimum, Lion enters the box and stays",
                              fmt::format("with c = (1, -0.5, 0.5, -1) from (5, 5, -5, 5): ||x||_inf <= {} at some step within "
                                          "{} and at every step after it",
                                          kBound, kSteps)};

// A = Q diag(1, 3, 0.3, 2) Q^T with Q three fixed Givens rotations: symmetric positive definite and
// coupling every pair of coordinates, so no coordinate can be solved alone.
std::vector<Vector> curvature() {
  std::vector<Vector> q = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  const auto rotate = [&q](int i, int j, double angle) {
    for (auto& row : q) {
      const double a = row[i], b = row[j];
      row[i] = std::cos(angle) * a - std::sin(angle) * b;
      row[j] = std::sin(angle) * a + std::cos(angle) * b;
    }
  };
  rotate(0, 1, 0.6);
  rotate(1, 2, -0.9);
  rotate(2, 3, 0.4);
  const Vector eigenvalues = {1, 3, 0.3, 2};
  std::vector<Vector> a(4, Vector(4, 0.0));
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      for (int k = 0; k < 4; ++k) a[i][j] += q[i][k] * eigenvalues[k] * q[j][k];
    }
  }
  return a;
}

Vector gradient(const std::vector<Vector>& a, const Vector& x, const Vector& c) {
  Vector g(4, 0.0);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) g[i] += a[i][j] * (x[j] - c[j]);
  }
  return g;
}

double norm_inf(const Vector& x) {
  double m = 0;
  for (const double v : x) m = std::max(m, std::abs(v));
  return m;
}
double norm_2(const Vector& x) {
  double s = 0;
  for (const double v : x) s += v * v;
  return std::sqrt(s);
}
double distance(const Vector& a, const Vector& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

Vector project_box(Vector x) {
  for (auto& v : x) v = std::clamp(v, -kBound, kBound);
  return x;
}
Vector project_ball(Vector x) {
  const double n = norm_2(x);
  if (n > kBound) {
    for (auto& v : x) v *= kBound / n;
  }
  return x;
}

// Projected gradient descent with step 1/L (L <= 3, the largest eigenvalue): the reference solver.
Vector projected_gradient_descent(const std::vector<Vector>& a, const Vector& c, Vector (*project)(Vector)) {
  Vector x(4, 0.0);
  for (int t = 0; t < 100000; ++t) {
    const Vector g = gradient(a, x, c);
    for (int i = 0; i < 4; ++i) x[i] -= g[i] / 3.0;
    x = project(x);
  }
  return x;
}

struct Trajectory {
  Vector mean_of_last;  // over the last kAveraged steps
  double largest_norm = 0.0;
  std::int64_t entered = -1;  // first step with ||x|| <= bound
  bool left_after_entering = false;
  report::BandSeries norm_trace;
};

// `coupled`: the control, weight decay folded into the gradient (L2 regularization) instead of
// decoupled from it.
Trajectory run_lion(const std::string& optimizer, const Vector& c, Vector x, double (*set_norm)(const Vector&), bool coupled = false) {
  const std::vector<Vector> a = curvature();
  optim::BufferOptimizer<double> lion(optimizer, {{"lr", kLr}, {"weight_decay", coupled ? 0.0 : kLambda}}, {std::span<double>(x)});
  Trajectory out;
  out.mean_of_last.assign(4, 0.0);
  for (int t = 1; t <= kSteps; ++t) {
    Vector g = gradient(a, x, c);
    if (coupled) {
      for (int i = 0; i < 4; ++i) g[i] += kLambda * x[i];
    }
    lion.step({std::span<const double>(g)});
    const double n = set_norm(x);
    out.largest_norm = std::max(out.largest_norm, n);
    if (n <= kBound && out.entered < 0) out.entered = t;
    if (n > kBound && out.entered >= 0) out.left_after_entering = true;
    if (t > kSteps - kAveraged) {
      for (int i = 0; i < 4; ++i) out.mean_of_last[i] += x[i] / kAveraged;
    }
    if (t % 50 == 0) out.norm_trace.add(static_cast<double>(t), n);
  }
  return out;
}

std::string vector_text(const Vector& x) { return fmt::format("({:.4f}, {:.4f}, {:.4f}, {:.4f})", x[0], x[1], x[2], x[3]); }

Outcome run_box(const Context&) {
  const std::vector<Vector> a = curvature();
  const Vector box_optimum = projected_gradient_descent(a, kTarget, project_box);
  const Vector ball_optimum = projected_gradient_descent(a, kTarget, project_ball);
  const Trajectory box = run_lion("lion", kTarget, kOutsideStart, norm_inf);
  const Trajectory ball = run_lion("lion_l2", kTarget, kOutsideStart, norm_2);
  const Trajectory from_inside = run_lion("lion", kTarget, Vector(4, 0.0), norm_inf);
  const Trajectory control = run_lion("lion", kTarget, Vector(4, 0.0), norm_inf, /*coupled=*/true);
  const Trajectory entering = run_lion("lion", kInteriorTarget, kOutsideStart, norm_inf);

  Outcome outcome;
  const double box_error = distance(box.mean_of_last, box_optimum), ball_error = distance(ball.mean_of_last, ball_optimum);
  outcome.record(kBoxOptimum,
                 fmt::format("distance {:.2e}; the optimum {} is {:.3f} from clip(c)", box_error, vector_text(box_optimum),
                             distance(box_optimum, project_box(kTarget))),
                 box_error <= kTolerance);
  outcome.record(kBallOptimum,
                 fmt::format("distance {:.2e}; the optimum {} is {:.3f} from the ball projection of c", ball_error,
                             vector_text(ball_optimum), distance(ball_optimum, project_ball(kTarget))),
                 ball_error <= kTolerance);
  outcome.record(kBoxHolds,
                 fmt::format("Lion's largest ||x||_inf {:.6f}; the control's {:.4f}", from_inside.largest_norm, control.largest_norm),
                 from_inside.largest_norm >= kBound - kTolerance && from_inside.largest_norm <= kBound + 1e-12 &&
                     control.largest_norm > kBound);
  outcome.record(kEntersTheBox,
                 entering.entered < 0 ? "never entered"
                                      : fmt::format("entered at step {}; left afterwards: {}", entering.entered,
                                                    entering.left_after_entering ? "yes" : "no"),
                 entering.entered > 0 && !entering.left_after_entering);
  outcome.details_markdown = fmt::format(
      "f(x) = 0.5 (x - c)^T A (x - c), A = Q diag(1, 3, 0.3, 2) Q^T (three Givens rotations), c = (3, -0.5, 2, -4); lr {}, "
      "lambda {}, beta = (0.9, 0.99), {} steps. References by projected gradient descent (step 1/3, 1e5 iterations). Lion "
      "from (5, 5, -5, 5): mean of the last {} iterates {}; Lion-K (l2): {}.\n",
      kLr, kLambda, kSteps, kAveraged, vector_text(box.mean_of_last), vector_text(ball.mean_of_last));
  report::ChartSpec chart{fmt::format("Constraint norm against step (bound 1/lambda = {})", kBound), "step", "norm", false, {}};
  chart.lines.push_back({"Lion from outside: ||x||_inf", report::series_color(0), box.norm_trace});
  chart.lines.push_back({"Lion-K l2 from outside: ||x||_2", report::series_color(1), ball.norm_trace});
  chart.lines.push_back({"Lion from 0: ||x||_inf", report::series_color(2), from_inside.norm_trace});
  chart.lines.push_back({"control, decay in the gradient: ||x||_inf", report::series_color(3), control.norm_trace});
  outcome.charts.push_back(chart);
  return outcome;
}

}  // namespace

Experiment lion_k_box_experiment() {
  return {"lion-k-box",
          "Chen, Liu, Liang & Liu, Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts (ICLR 2024)",
          "Lion with decoupled weight decay lambda minimizes f subject to ||x||_inf <= 1/lambda (Lion-K: the set given by K*); "
          "iterates first move into the set, then minimize inside it",
          {kBoxOptimum, kBallOptimum, kBoxHolds, kEntersTheBox},
          "under a second",
          Budget::fast,
          run_box};
}

}  // namespace descent::repro
