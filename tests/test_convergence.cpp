// The convergence matrix: every optimizer on Rosenbrock, a quadratic with condition number 100
// and logistic regression on separable data, each with a stated rate, 5000 steps, and a stated
// bound on f - f*. Rates were chosen from a sweep over {1e-4 .. 1} (one per decade); bounds
// state what each rule reaches, looser where its nature says so (sign and normalized steps
// stall at a distance set by lr; AdaDelta is slow).
#include <gtest/gtest.h>

#include <set>

#include "descent/optim/buffer_optimizer.hpp"
#include "descent/optim/description.hpp"
#include "descent/problems/problems.hpp"

namespace descent::problems {
namespace {

struct Cell {
  const char* optimizer;
  double lr;
  double bound;  // on f(x_T) - f*
};

double final_gap(const Problem& problem, const std::string& name, double lr, std::vector<double>* final_x = nullptr) {
  std::vector<double> x = problem.start;
  optim::BufferOptimizer<double> optimizer(name, {{"lr", lr}}, {std::span<double>(x)});
  for (int t = 0; t < 5000; ++t) {
    const auto g = problem.gradient(x);
    optimizer.step({std::span<const double>(g)}, problem.value(x));
  }
  if (final_x) *final_x = x;
  return problem.value(x) - problem.minimum;
}

void check_matrix(const Problem& problem, const std::vector<Cell>& cells, const std::vector<std::string>& not_expected = {}) {
  std::set<std::string> covered(not_expected.begin(), not_expected.end());
  for (const auto& cell : cells) {
    std::vector<double> x;
    const double gap = final_gap(problem, cell.optimizer, cell.lr, &x);
    EXPECT_LE(gap, cell.bound) << cell.optimizer << " on " << problem.name << " at lr " << cell.lr;
    if (const auto* logistic = dynamic_cast<const SeparableLogistic*>(&problem)) {
      EXPECT_EQ(logistic->error_rate(x), 0.0) << cell.optimizer << " did not separate the data";
    }
    covered.insert(cell.optimizer);
  }
  for (const auto& name : optim::optimizer_names()) EXPECT_TRUE(covered.count(name)) << name << " has no cell on " << problem.name;
}

TEST(ConvergenceMatrix, Rosenbrock) {
  check_matrix(Rosenbrock{},
               {{"sgd", 1e-3, 1e-2},        {"adagrad", 1.0, 1e-2},       {"adagrad_norm", 1.0, 1e-2},
                {"adadelta", 0.1, 1e-2},    {"rmsprop", 1e-3, 1e-2},      {"adam", 1e-2, 1e-2},
                {"adamw", 1e-2, 1e-2},      {"amsgrad", 0.1, 1e-2},       {"diffgrad", 1e-2, 1e-2},
                {"exadam", 1e-2, 1e-2},     {"lion", 1e-3, 1e-2},         {"lion_l2", 1e-3, 1e-2},
                {"normalized_gd", 1e-3, 1e-2},
                {"adabelief", 1e-2, 1e-2},
                // Fixed-size sign steps cannot follow the curved valley: they zigzag down it. LAMB's
                // step is lr ||x|| long whatever the gradient (the trust ratio): the same.
                {"sign_sgd", 1e-3, 0.1},    {"lamb", 1e-2, 0.1}},
               // g / f grows without bound as f -> f* = 0 here: the loss-normalized rule is not
               // meant for problems whose minimum value is 0 at a finite point.
               {"loss_normalized_gd"});
}

TEST(ConvergenceMatrix, QuadraticConditionNumber100) {
  check_matrix(IllConditionedQuadratic{},
               {{"sgd", 1e-2, 1e-6},           {"adagrad", 0.1, 1e-6},         {"adagrad_norm", 1.0, 1e-6},
                {"adadelta", 0.1, 1e-3},       {"rmsprop", 1e-3, 1e-4},        {"adam", 1e-2, 1e-6},
                {"adamw", 1e-2, 1e-6},         {"amsgrad", 1e-2, 1e-6},        {"diffgrad", 1e-2, 1e-6},
                {"exadam", 1e-3, 1e-6},        {"lion", 1e-2, 1e-6},           {"lion_l2", 1e-3, 1e-4},
                {"normalized_gd", 1e-3, 1e-4}, {"loss_normalized_gd", 1e-3, 1e-2}, {"sign_sgd", 1e-2, 1e-6},
                {"lamb", 1e-2, 1e-6},          {"adabelief", 1e-2, 1e-6}});
}

TEST(ConvergenceMatrix, SeparableLogisticRegression) {
  check_matrix(SeparableLogistic{},
               {{"sgd", 1.0, 1e-2},        {"adagrad", 1.0, 1e-2},       {"adagrad_norm", 1.0, 1e-2},
                {"adadelta", 1.0, 1e-2},   {"rmsprop", 1e-2, 1e-2},      {"adam", 0.1, 1e-2},
                {"adamw", 0.1, 1e-2},      {"amsgrad", 0.1, 1e-2},       {"diffgrad", 0.1, 1e-2},
                {"exadam", 0.1, 1e-2},     {"lion", 1e-2, 1e-2},         {"lion_l2", 0.1, 1e-2},
                {"normalized_gd", 0.1, 1e-2}, {"loss_normalized_gd", 0.1, 1e-2}, {"sign_sgd", 1e-2, 1e-2},
                // LAMB's step grows with ||x||, and on separable data ||x|| grows without bound: at
                // lr 0.1 the iterates overflow within 5000 steps; at 1e-2 the loss underflows to 0.
                {"lamb", 1e-2, 1e-2},          {"adabelief", 0.1, 1e-2}});
}

}  // namespace
}  // namespace descent::problems
