// Algorithm pieces of the repro experiments that are not optimizers of the catalog.
#include <gtest/gtest.h>

#include <cmath>

#include "../experiments/optimistic_omd/oomd.hpp"
#include "descent/core/rng.hpp"

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

#include "../experiments/subgm/subgm.hpp"

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
