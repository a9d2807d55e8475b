// The summaries experiments report: moments, the interquartile mean against scipy's trim_mean
// definition, the percentile bootstrap against its known behaviour, and parallel_for's contract.
#include <gtest/gtest.h>

#include <stdexcept>

#include "descent/core/parallel.hpp"
#include "descent/core/sample_statistics.hpp"

namespace descent {
namespace {

TEST(SampleStatistics, InterquartileMeanTrimsAQuarterFromEachEnd) {
  // n = 10: floor(2.5) = 2 trimmed from each end, the mean of the 6 in the middle.
  EXPECT_DOUBLE_EQ(interquartile_mean({100, 1, 2, 3, 4, 5, 6, 7, 8, -50}), (2 + 3 + 4 + 5 + 6 + 7) / 6.0);
  EXPECT_DOUBLE_EQ(interquartile_mean({4, 1, 3, 2}), 2.5);  // n = 4: one from each end
  EXPECT_DOUBLE_EQ(interquartile_mean({7}), 7.0);
  EXPECT_THROW(interquartile_mean({}), std::invalid_argument);
}

TEST(SampleStatistics, BootstrapIntervalOfTheMeanCoversAndNarrows) {
  Rng data(1);
  std::vector<double> small, large;
  for (int i = 0; i < 25; ++i) small.push_back(data.normal());
  for (int i = 0; i < 2500; ++i) large.push_back(data.normal());
  auto mean = [](std::vector<double> v) { return sample_moments(v).mean; };
  Rng rng(2);
  const Interval a = bootstrap_interval(small, mean, 4000, 0.95, rng);
  const Interval b = bootstrap_interval(large, mean, 1000, 0.95, rng);
  EXPECT_LT(a.low, sample_moments(small).mean);
  EXPECT_GT(a.high, sample_moments(small).mean);
  // The 95% width of a mean of n unit normals is about 2 x 1.96 / sqrt(n).
  EXPECT_NEAR(a.high - a.low, 2 * 1.96 / 5.0, 0.25);
  EXPECT_NEAR(b.high - b.low, 2 * 1.96 / 50.0, 0.02);
  // A constant sample has a point interval.
  const Interval c = bootstrap_interval({3.0, 3.0, 3.0}, mean, 100, 0.9, rng);
  EXPECT_EQ(c.low, 3.0);
  EXPECT_EQ(c.high, 3.0);
}

TEST(Parallel, RunsEveryIndexOnceAndRethrowsTheFirstFailure) {
  for (std::int64_t threads : {1, 2, 5}) {
    std::vector<int> runs(37, 0);
    parallel_for(37, threads, [&](std::int64_t i) { ++runs[static_cast<std::size_t>(i)]; });
    for (int r : runs) EXPECT_EQ(r, 1);
  }
  EXPECT_THROW(parallel_for(10, 2, [](std::int64_t i) {
                 if (i == 3) throw std::runtime_error("task 3");
               }),
               std::runtime_error);
}

}  // namespace
}  // namespace descent
