// The small environments against their definitions: the bandit's reward law, the grid world's
// moves, borders and goal, CartPole's Euler step computed by hand and its termination rules, and
// the vector environment's seeding, autoreset and independence of the thread count.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/core/sample_statistics.hpp"
#include "descent/rl/classic_environments.hpp"

namespace descent::rl {
namespace {

TEST(Bandit, RewardsAreTheArmMeansPlusUnitNoise) {
  MultiArmedBandit bandit({{2.0, -1.0}, 1.0});
  bandit.reset(7);
  std::vector<double> rewards;
  for (int i = 0; i < 20000; ++i) {
    const Transition t = bandit.step({1.0});
    EXPECT_TRUE(t.terminated);
    rewards.push_back(t.reward);
  }
  const SampleMoments m = sample_moments(rewards);
  EXPECT_NEAR(m.mean, -1.0, 4.0 * m.standard_error);
  EXPECT_NEAR(m.variance, 1.0, 0.05);
  EXPECT_THROW(bandit.step({2.0}), std::invalid_argument);
  EXPECT_THROW(bandit.step({0.5}), std::invalid_argument);
}

TEST(GridWorld, MovesStopAtTheBorderAndBothCornersTerminate) {
  GridWorld grid({});
  std::vector<double> observation = grid.reset(0);
  ASSERT_EQ(observation.size(), 25u);
  EXPECT_EQ(grid.cell(), 12);  // the centre
  EXPECT_EQ(observation[12], 1.0);
  Transition t = grid.step({3.0});  // right
  t = grid.step({3.0});
  EXPECT_EQ(grid.cell(), 14);
  t = grid.step({3.0});  // into the border: stays, pays the cell's reward
  EXPECT_EQ(grid.cell(), 14);
  EXPECT_DOUBLE_EQ(t.reward, -0.01);
  t = grid.step({1.0});  // down
  EXPECT_FALSE(t.terminated);
  t = grid.step({1.0});
  EXPECT_EQ(grid.cell(), 24);
  EXPECT_TRUE(t.terminated);
  EXPECT_DOUBLE_EQ(t.reward, 1.0);
  EXPECT_EQ(t.observation[24], 1.0);

  grid.reset(0);
  for (int i = 0; i < 2; ++i) grid.step({0.0});  // up to row 0
  grid.step({2.0});                              // left
  t = grid.step({2.0});
  EXPECT_EQ(grid.cell(), 0);
  EXPECT_TRUE(t.terminated);
  EXPECT_DOUBLE_EQ(t.reward, 0.5);
}

TEST(GridWorld, TruncatesAfterThreeTimesTheSideInSteps) {
  GridWorld grid({});
  grid.reset(0);
  Transition t;
  for (int i = 0; i < 14; ++i) {
    t = grid.step({i % 2 == 0 ? 2.0 : 3.0});  // left, right: never a corner
    EXPECT_FALSE(t.truncated);
  }
  t = grid.step({2.0});
  EXPECT_TRUE(t.truncated);
  EXPECT_FALSE(t.terminated);
}

TEST(CartPole, OneEulerStepByHand) {
  CartPole pole({500});
  pole.reset(3);
  const std::vector<double> s = pole.state();
  const Transition t = pole.step({1.0});
  // Barto et al.'s equations with F = +10 N, m_c = 1, m_p = 0.1, l = 0.5, g = 9.8, tau = 0.02.
  const double temp = (10.0 + 0.05 * s[3] * s[3] * std::sin(s[2])) / 1.1;
  const double theta_acc = (9.8 * std::sin(s[2]) - std::cos(s[2]) * temp) / (0.5 * (4.0 / 3.0 - 0.1 * std::cos(s[2]) * std::cos(s[2]) / 1.1));
  const double x_acc = temp - 0.05 * theta_acc * std::cos(s[2]) / 1.1;
  EXPECT_DOUBLE_EQ(t.observation[0], s[0] + 0.02 * s[1]);
  EXPECT_DOUBLE_EQ(t.observation[1], s[1] + 0.02 * x_acc);
  EXPECT_DOUBLE_EQ(t.observation[2], s[2] + 0.02 * s[3]);
  EXPECT_DOUBLE_EQ(t.observation[3], s[3] + 0.02 * theta_acc);
  EXPECT_EQ(t.reward, 1.0);
  for (double v : s) EXPECT_LE(std::abs(v), 0.05);
}

TEST(CartPole, PushingOneWayTopplesThePoleWithinTheAngleLimit) {
  CartPole pole({500});
  pole.reset(1);
  Transition t;
  int steps = 0;
  do {
    t = pole.step({1.0});
    ++steps;
  } while (!t.terminated && steps < 500);
  EXPECT_TRUE(t.terminated);
  EXPECT_LT(steps, 30);  // the pole falls back within a second or so
  EXPECT_GT(std::abs(t.observation[2]), 12.0 * M_PI / 180.0);
}

TEST(VectorEnvironment, SeedsFixTheTrajectoriesWhateverTheThreadCount) {
  const CartPole prototype({40});
  auto run = [&](std::int64_t threads) {
    VectorEnvironment environments(prototype, 5, threads);
    std::vector<std::vector<double>> observations = environments.reset(11);
    std::vector<double> trace;
    for (int t = 0; t < 120; ++t) {
      std::vector<std::vector<double>> actions;
      for (std::size_t i = 0; i < observations.size(); ++i) actions.push_back({observations[i][2] > 0.0 ? 1.0 : 0.0});
      const VectorStep step = environments.step(actions);
      for (const auto& o : step.observation) trace.insert(trace.end(), o.begin(), o.end());
      observations = step.observation;
    }
    return trace;
  };
  EXPECT_EQ(run(1), run(2));
  EXPECT_EQ(run(1), run(3));
}

TEST(VectorEnvironment, CopyIIsASingleEnvironmentSeededFromTheDerivedSeed) {
  const CartPole prototype({500});
  VectorEnvironment environments(prototype, 3, 2);
  const auto observations = environments.reset(5);
  CartPole single({500});
  EXPECT_EQ(single.reset(Rng::derived(5, 2).next()), observations[2]);
  std::vector<std::vector<double>> actions(3, std::vector<double>{0.0});
  const VectorStep step = environments.step(actions);
  EXPECT_EQ(single.step({0.0}).observation, step.observation[2]);
}

TEST(VectorEnvironment, AutoresetKeepsTheFinalObservation) {
  const GridWorld prototype({3, 1.0, 0.5, 0.0, 9});
  VectorEnvironment environments(prototype, 1);
  environments.reset(0);                              // the centre, cell 4
  environments.step({{3.0}});                         // right: cell 5
  const VectorStep step = environments.step({{1.0}});  // down: the goal, cell 8
  EXPECT_TRUE(step.terminated[0]);
  EXPECT_EQ(step.final_observation[0][8], 1.0);  // the goal's one-hot
  EXPECT_EQ(step.observation[0][4], 1.0);        // the new episode's start
  EXPECT_THROW(environments.step({}), std::invalid_argument);
  EXPECT_THROW(VectorEnvironment(prototype, 0), std::invalid_argument);
}

}  // namespace
}  // namespace descent::rl
