// ReLU's infinite-width kernels: the dual activations against Monte Carlo, the recursions'
// diagonal in closed form, and the limit NTK positive definite on the circle (Jacot et al.'s
// Proposition 2 for non-polynomial activations).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/kernels/relu_ntk.hpp"

namespace descent::kernels {
namespace {

TEST(ReluKernels, DualActivationsMatchMonteCarlo) {
  Rng rng(1);
  for (const auto& [q11, q22, q12] : {std::tuple{1.0, 1.0, 0.3}, std::tuple{2.0, 0.5, -0.6}, std::tuple{0.7, 1.3, 0.9}}) {
    // (u, v) = (sqrt(q11) a, c1 a + c2 b) with c1 = q12 / sqrt(q11), c2 = sqrt(q22 - c1^2).
    const double c1 = q12 / std::sqrt(q11), c2 = std::sqrt(q22 - c1 * c1);
    constexpr int draws = 1000000;
    double value = 0, value2 = 0, derivative = 0;
    for (int i = 0; i < draws; ++i) {
      const double a = rng.normal(), b = rng.normal();
      const double u = std::sqrt(q11) * a, v = c1 * a + c2 * b;
      const double product = std::max(u, 0.0) * std::max(v, 0.0);
      value += product, value2 += product * product, derivative += (u > 0 && v > 0);
    }
    value /= draws, value2 /= draws, derivative /= draws;
    const ReluDual dual = relu_dual(q11, q22, q12);
    EXPECT_NEAR(dual.value, value, 4 * std::sqrt((value2 - value * value) / draws)) << q12;
    EXPECT_NEAR(dual.derivative, derivative, 4 * std::sqrt(derivative * (1 - derivative) / draws)) << q12;
  }
}

// On the diagonal t = 0, E[relu relu] = q / 2 and E[relu' relu'] = 1/2: Sigma^(l+1)(x, x) =
// Sigma^(l)(x, x) / 2 + beta^2 and Theta^(l+1) = Theta^(l) / 2 + Sigma^(l+1), from |x|^2 / n_0 = 1/2.
TEST(ReluKernels, DiagonalFollowsTheHalvingRecursion) {
  const std::vector<double> x = {std::cos(0.3), std::sin(0.3)};
  double sigma = 0.5 + 0.01, theta = sigma;  // |x|^2 / n_0 + beta^2
  for (int depth = 1; depth <= 5; ++depth) {
    const InfiniteWidthKernels k = relu_kernels(x, x, depth, 0.1);
    EXPECT_NEAR(k.nngp, sigma, 1e-15) << depth;
    EXPECT_NEAR(k.ntk, theta, 1e-15) << depth;
    sigma = sigma / 2 + 0.01;
    theta = theta / 2 + sigma;
  }
  EXPECT_THROW(relu_kernels(x, x, 0, 0.1), ConfigError);
  EXPECT_THROW(relu_kernels(x, std::vector<double>{1.0}, 2, 0.1), ConfigError);
}

TEST(ReluKernels, LimitNtkIsPositiveDefiniteOnTheCircle) {
  constexpr int n = 24;
  std::vector<std::vector<double>> points;
  for (int i = 0; i < n; ++i) points.push_back({std::cos(2 * M_PI * i / n), std::sin(2 * M_PI * i / n)});
  std::vector<double> gram(n * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) gram[i * n + j] = relu_kernels(points[i], points[j], 4, 0.1).ntk;
  }
  // Cholesky: every pivot positive <=> positive definite; symmetric by construction is checked too.
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) EXPECT_NEAR(gram[i * n + j], gram[j * n + i], 1e-15);
  }
  for (int j = 0; j < n; ++j) {
    for (int k = 0; k < j; ++k) gram[j * n + j] -= gram[j * n + k] * gram[j * n + k];
    ASSERT_GT(gram[j * n + j], 0.0) << j;
    gram[j * n + j] = std::sqrt(gram[j * n + j]);
    for (int i = j + 1; i < n; ++i) {
      for (int k = 0; k < j; ++k) gram[i * n + j] -= gram[i * n + k] * gram[j * n + k];
      gram[i * n + j] /= gram[j * n + j];
    }
  }
}

}  // namespace
}  // namespace descent::kernels
