// The linear assignment solver against brute force over every permutation (n <= 8), and its
// refusals of malformed input.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <limits>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/matching/linear_assignment.hpp"

namespace descent::matching {
namespace {

double brute_force_minimum(const std::vector<double>& matrix, std::int64_t n) {
  std::vector<std::int64_t> permutation(static_cast<std::size_t>(n));
  std::iota(permutation.begin(), permutation.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double total = 0.0;
    for (std::int64_t i = 0; i < n; ++i) total += matrix[static_cast<std::size_t>(i * n + permutation[static_cast<std::size_t>(i)])];
    best = std::min(best, total);
  } while (std::next_permutation(permutation.begin(), permutation.end()));
  return best;
}

TEST(LinearAssignment, MatchesBruteForceUpToEight) {
  Rng rng(1);
  for (std::int64_t n = 1; n <= 8; ++n) {
    for (int trial = 0; trial < 6; ++trial) {
      std::vector<double> matrix(static_cast<std::size_t>(n * n));
      // Half the trials draw small integers, so that ties between optimal permutations occur.
      for (double& value : matrix) value = trial % 2 == 0 ? rng.normal() : static_cast<double>(rng.below(4));
      const Assignment found = minimum_cost_assignment(matrix, n);
      std::vector<std::int64_t> sorted = found.column_of_row;
      std::sort(sorted.begin(), sorted.end());
      for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(sorted[static_cast<std::size_t>(i)], i) << "not a permutation";
      EXPECT_NEAR(found.total, brute_force_minimum(matrix, n), 1e-12) << n << " " << trial;
      std::vector<double> negated = matrix;
      for (double& value : negated) value = -value;
      EXPECT_NEAR(maximum_weight_assignment(matrix, n).total, -brute_force_minimum(negated, n), 1e-12);
    }
  }
}

TEST(LinearAssignment, RecoversAHiddenPermutation) {
  // W_B = P W_A: the weight matching of a layer with its permuted copy finds P back.
  const std::vector<std::int64_t> hidden = {3, 0, 4, 1, 2};
  Rng rng(2);
  std::vector<double> a(5 * 6);
  for (double& value : a) value = rng.normal();
  std::vector<double> similarity(25, 0.0);  // <row i of A, row j of B>, B's row j = A's row hidden[j]
  for (std::int64_t i = 0; i < 5; ++i) {
    for (std::int64_t j = 0; j < 5; ++j) {
      for (std::int64_t k = 0; k < 6; ++k) similarity[static_cast<std::size_t>(i * 5 + j)] += a[static_cast<std::size_t>(i * 6 + k)] * a[static_cast<std::size_t>(hidden[static_cast<std::size_t>(j)] * 6 + k)];
    }
  }
  const Assignment found = maximum_weight_assignment(similarity, 5);
  for (std::int64_t j = 0; j < 5; ++j) EXPECT_EQ(found.column_of_row[static_cast<std::size_t>(hidden[static_cast<std::size_t>(j)])], j);
}

TEST(LinearAssignment, RefusesMalformedMatrices) {
  EXPECT_THROW(minimum_cost_assignment(std::vector<double>(5), 2), ConfigError);
  EXPECT_THROW(minimum_cost_assignment(std::vector<double>{1, std::nan(""), 2, 3}, 2), ConfigError);
  EXPECT_EQ(minimum_cost_assignment(std::vector<double>{}, 0).column_of_row.size(), 0u);
}

}  // namespace
}  // namespace descent::matching
