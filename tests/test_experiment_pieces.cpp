// Algorithm pieces of the repro experiments that are not optimizers of the catalog.
#include <gtest/gtest.h>

#include <cmath>

#include "../experiments/optimistic_omd/oomd.hpp"

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
