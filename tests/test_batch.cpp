// AdAdaGrad's batch-size tests: the specs' 4x3 vector, identities, the batch rule, LR scaling.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "descent/batch/adaptive_batch.hpp"
#include "descent/batch/batch_sizer.hpp"
#include "descent/optim/description.hpp"

namespace descent::batch {
namespace {

const std::vector<std::vector<double>> kSpecGradients = {{1, 2, 0}, {0.5, 1.5, 1}, {1.5, 2.5, -1}, {1, 2, 0.5}};

TEST(AdaptiveBatch, SpecVector) {
  const GradientStatistics s = statistics_of(kSpecGradients);
  EXPECT_NEAR(s.mean_norm_squared, 5.015625, 1e-12);
  EXPECT_NEAR(total_variance(s), 1.0625, 1e-12);
  EXPECT_NEAR(raw_batch_size(s, BatchTest::norm, 0.1), 21.183801, 21.183801 * 1e-7);
  EXPECT_EQ(requested_batch_size(s, BatchTest::norm, 0.1), 22);
  EXPECT_NEAR(inner_product_variance(s), 1.261393, 1e-6);
  EXPECT_NEAR(raw_batch_size(s, BatchTest::inner_product, 0.1), 5.014185, 5.014185 * 1e-7);
  EXPECT_EQ(requested_batch_size(s, BatchTest::inner_product, 0.1), 6);
  EXPECT_NEAR(raw_batch_size(s, BatchTest::orthogonality, 1.0), 0.161696, 1e-6);
  EXPECT_EQ(requested_batch_size(s, BatchTest::augmented, 0.1), 6);
}

// The orthogonal variance from the three statistics equals the variance of the explicit
// orthogonal components.
TEST(AdaptiveBatch, OrthogonalVarianceMatchesExplicitComponents) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal;
  std::vector<std::vector<double>> g(9, std::vector<double>(5));
  for (auto& row : g) {
    for (auto& v : row) v = normal(rng) + 0.5;
  }
  const GradientStatistics s = statistics_of(g);
  std::vector<double> mean(5, 0.0);
  for (const auto& row : g) {
    for (int j = 0; j < 5; ++j) mean[j] += row[j] / 9.0;
  }
  std::vector<std::vector<double>> r = g;
  for (auto& row : r) {
    double dot = 0;
    for (int j = 0; j < 5; ++j) dot += row[j] * mean[j];
    for (int j = 0; j < 5; ++j) row[j] -= dot / s.mean_norm_squared * mean[j];
  }
  double explicit_variance = 0.0;
  for (int j = 0; j < 5; ++j) {
    double m = 0;
    for (const auto& row : r) m += row[j] / 9.0;
    for (const auto& row : r) explicit_variance += (row[j] - m) * (row[j] - m) / 8.0;
  }
  EXPECT_NEAR(orthogonal_variance(s), explicit_variance, 1e-12);
}

TEST(AdaptiveBatch, NeverShrinksAndIsCapped) {
  EXPECT_EQ(next_batch_size(32, 8, 1024), 32);
  EXPECT_EQ(next_batch_size(32, 100, 1024), 100);
  EXPECT_EQ(next_batch_size(32, 5000, 1024), 1024);
}

TEST(LrScaling, LinearForSgdSquareRootForAdam) {
  EXPECT_DOUBLE_EQ(lr_scale(resolve_scaling(LrScaling::automatic, optim::describe("sgd")), 128, 512), 4.0);
  EXPECT_DOUBLE_EQ(lr_scale(resolve_scaling(LrScaling::automatic, optim::describe("adam")), 128, 512), 2.0);
  EXPECT_DOUBLE_EQ(lr_scale(resolve_scaling(LrScaling::none, optim::describe("adam")), 128, 512), 1.0);
}

}  // namespace
}  // namespace descent::batch

#include "descent/diag/example_losses.hpp"

namespace descent::diag {
namespace {

// At a spike the tracker names the examples whose loss moved most, split into the two opposing
// groups; below the threshold it stays quiet.
TEST(ExampleLossTracker, NamesTheTopMoversAtASpikeAndSplitsThemByDirection) {
  ExampleLossTracker tracker(0.1, 3);
  EXPECT_FALSE(tracker.observe({1.0, 1.0, 1.0, 1.0, 1.0}).has_value());  // the baseline
  EXPECT_FALSE(tracker.observe({1.05, 1.0, 1.0, 1.0, 1.0}).has_value());  // mean +1%: no spike
  const auto spike = tracker.observe({3.0, 0.2, 1.0, 1.9, 1.0});         // mean 1.01 -> 1.42
  ASSERT_TRUE(spike.has_value());
  EXPECT_NEAR(spike->increase, 1.42 - 1.01, 1e-12);
  EXPECT_EQ(spike->examples, (std::vector<std::int64_t>{0, 3, 1}));  // |changes| 1.95, 0.9, 0.8
  EXPECT_NEAR(spike->changes[0], 1.95, 1e-12);
  EXPECT_EQ(spike->rose, 2);
  EXPECT_EQ(spike->fell, 1);
  EXPECT_NEAR(spike->rose_mean, (1.95 + 0.9) / 2, 1e-12);
  EXPECT_NEAR(spike->fell_mean, -0.8, 1e-12);
  EXPECT_NEAR(tracker.mean(), 1.42, 1e-12);
}

}  // namespace
}  // namespace descent::diag
