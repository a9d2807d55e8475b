// Algorithm pieces of the repro experiments that are not optimizers of the catalog.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/core/rng.hpp"
#include "../experiments/ef21/heterogeneous_logistic.hpp"
#include "../experiments/optimistic_omd/oomd.hpp"
#include "../experiments/sso/sso.hpp"
#include "../experiments/subgm/subgm.hpp"

namespace descent::repro::oomd {
namespace {

TEST(OptimisticOmd, ProjectionOntoTheBallIsExact) {
  const Vector inside = {0.3, -1.2, 2.0};
  EXPECT_EQ(project_to_ball(inside, 5.0), inside);  // untouched, bit for bit
  const Vector outside = {3.0, -4.0, 12.0};          // norm 13
  const Vector projected = project_to_ball(outside, 6.5);
  EXPECT_DOUBLE_EQ(projected[0], 1.5);
  EXPECT_DOUBLE_EQ(projected[1], -2.0);
  EXPECT_DOUBLE_EQ(projected[2], 6.0);
  EXPECT_EQ(project_to_ball(projected, 6.5), projected);  // idempotent
}

TEST(OptimisticOmd, PlaysTheHintedStepAndAdaptsTheRate) {
  OptimisticOmd learner(2, 10.0, 1.0);
  EXPECT_DOUBLE_EQ(learner.step_size(), 0.25);  // capped at 1 / (4 L)
  EXPECT_EQ(learner.play(), (Vector{0.0, 0.0}));  // no hint yet
  learner.observe({1.0, 0.0});
  EXPECT_EQ(learner.hint, (Vector{1.0, 0.0}));
  // xhat moved by the rate times the gradient; the next play also steps along the hint.
  EXPECT_DOUBLE_EQ(learner.xhat[0], -0.25);
  EXPECT_DOUBLE_EQ(learner.play()[0], -0.25 - learner.step_size());
  EXPECT_DOUBLE_EQ(learner.accumulated, 1.0);
}

}  // namespace
}  // namespace descent::repro::oomd

namespace descent::repro::subgm {
namespace {

// Away from kinks (no residual crosses zero within the step), the sub-gradient is the gradient.
TEST(SubGM, SubgradientMatchesFiniteDifferences) {
  const Problem problem = make_problem(5, 2, 40, 0.2, 10.0, 3);
  Rng rng(4);
  Matrix u(5, 3);
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 3; ++j) u(i, j) = rng.normal();
  }
  for (const bool least_squares : {false, true}) {
    const Matrix d = subgradient(problem, u, least_squares);
    const double h = 1e-7;
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 3; ++j) {
        Matrix plus = u, minus = u;
        plus(i, j) += h;
        minus(i, j) -= h;
        const double numeric = (loss(problem, plus, least_squares) - loss(problem, minus, least_squares)) / (2 * h);
        EXPECT_NEAR(d(i, j), numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << (least_squares ? "l2 " : "l1 ") << i << "," << j;
      }
    }
  }
}

}  // namespace
}  // namespace descent::repro::subgm

namespace descent::repro::sso {
namespace {

// At theta_t the surrogate's gradient is the loss gradient over (n eta): the second term vanishes.
TEST(SSO, SurrogateGradientIsTheScaledLossGradient) {
  const Data data = make_data(50, 4, 2.0, 1);
  const Vector theta = {0.3, -0.2, 0.5, 0.1};
  std::vector<int> rows = {1, 4, 7, 9, 20, 33};
  const double eta = 0.7;
  const Surrogate h = make_surrogate(data, theta, rows, eta);
  const Vector gh = h.gradient(theta), gl = loss_gradient(data, theta, rows);
  for (std::size_t j = 0; j < theta.size(); ++j) EXPECT_NEAR(gh[j], gl[j] / (rows.size() * eta), 1e-15);
  // And the surrogate's gradient against finite differences away from theta_t.
  const Vector other = {0.1, 0.4, -0.3, 0.2};
  const Vector g = h.gradient(other);
  for (std::size_t j = 0; j < other.size(); ++j) {
    Vector plus = other, minus = other;
    plus[j] += 1e-6;
    minus[j] -= 1e-6;
    EXPECT_NEAR(g[j], (h.value(plus) - h.value(minus)) / 2e-6, 1e-7);
  }
}

TEST(SSO, InnerStepsDecreaseTheSurrogateUnderArmijo) {
  const Data data = make_data(80, 5, 2.0, 2);
  const Vector theta(5, 0.0);
  const Surrogate h = make_surrogate(data, theta, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.1);
  InnerStats stats;
  const Vector after = inner_steps(h, theta, 10, 1.05, stats);
  EXPECT_GT(stats.accepted, 0);
  EXPECT_LT(h.value(after), h.value(theta));
}

}  // namespace
}  // namespace descent::repro::sso

namespace descent::repro {
namespace {

// The EF21 test problem: gradients match central differences, and each client's L_i bounds its
// Hessian's curvature (finite-difference Hessian-vector products at random points and directions).
TEST(HeterogeneousLogistic, GradientAndSmoothnessConstantsAreRight) {
  HeterogeneousLogisticSpec spec;
  spec.clients = 6;
  spec.dimension = 8;
  spec.samples = 5;
  const HeterogeneousLogistic problem(spec, 7);
  EXPECT_NEAR(problem.client_smoothness().front(), 1.0, 1e-9);
  EXPECT_NEAR(problem.client_smoothness().back(), 1000.0, 1e-6);
  Rng rng(1);
  for (int client = 0; client < problem.clients(); ++client) {
    Eigen::VectorXd x(spec.dimension), v(spec.dimension);
    for (int k = 0; k < spec.dimension; ++k) x(k) = 0.3 * rng.normal(), v(k) = rng.normal();
    v.normalize();
    const double h = 1e-6;
    const Eigen::VectorXd g = problem.gradient(client, x);
    for (int k = 0; k < spec.dimension; ++k) {
      Eigen::VectorXd e = Eigen::VectorXd::Zero(spec.dimension);
      e(k) = h;
      const double numeric = (problem.loss(client, x + e) - problem.loss(client, x - e)) / (2 * h);
      EXPECT_NEAR(g(k), numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << "client " << client << " coordinate " << k;
    }
    const double eps = 1e-5;
    const double curvature = v.dot(problem.gradient(client, x + eps * v) - problem.gradient(client, x - eps * v)) / (2 * eps);
    EXPECT_LE(curvature, problem.client_smoothness()[static_cast<std::size_t>(client)] * (1 + 1e-6));
  }
  EXPECT_LE(problem.arithmetic_mean_smoothness(), problem.quadratic_mean_smoothness());
  EXPECT_LE(problem.smoothness(), problem.arithmetic_mean_smoothness() + 1e-9);  // L <= L_AM always
}

}  // namespace
}  // namespace descent::repro
