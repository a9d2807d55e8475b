// ReLU's infinite-width kernels: the dual activations against Monte Carlo, the recursions'
// diagonal in closed form, and the limit NTK positive definite on the circle (Jacot et al.'s
// Proposition 2 for non-polynomial activations).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/kernels/dual_activation.hpp"
#include "descent/kernels/kernel_regression.hpp"
#include "descent/kernels/neural_tangent_kernel.hpp"
#include "descent/models/parameterization.hpp"

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
    const DualValues dual = relu_dual(q11, q22, q12);
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

// Polar quadrature of the dual: erf's against Williams' closed form (smooth: to 1e-10),
// ReLU's against the arc-cosine closed form (exact with the angle cut at the kinks), and the generic depth
// recursion over ReLU's closed form identical to relu_kernels.
TEST(DualActivation, QuadratureMatchesTheClosedForms) {
  const DualActivation erf = quadrature_dual(scalar_activation("erf"), 48), relu = quadrature_dual(scalar_activation("relu"), 8);
  for (const auto& [q11, q22, q12] : {std::tuple{1.0, 1.0, 0.3}, std::tuple{2.0, 0.5, -0.6}, std::tuple{0.7, 1.3, 0.9}, std::tuple{0.5, 0.5, 0.5}}) {
    const DualValues exact_erf = erf_dual(q11, q22, q12), numeric_erf = erf(q11, q22, q12);
    EXPECT_NEAR(numeric_erf.value, exact_erf.value, 1e-10) << q12;
    EXPECT_NEAR(numeric_erf.derivative, exact_erf.derivative, 1e-10) << q12;
    const DualValues exact_relu = relu_dual(q11, q22, q12), numeric_relu = relu(q11, q22, q12);
    EXPECT_NEAR(numeric_relu.value, exact_relu.value, 1e-8) << q12;  // 1e-8: the correlation 1 case rounds
    EXPECT_NEAR(numeric_relu.derivative, exact_relu.derivative, 1e-8) << q12;
  }
  const std::vector<double> x = {0.6, -0.8}, y = {std::cos(1.0), std::sin(1.0)};
  const InfiniteWidthKernels generic = infinite_width_kernels(relu_dual, x, y, 5, 0.1), closed = relu_kernels(x, y, 5, 0.1);
  EXPECT_EQ(generic.ntk, closed.ntk);
  EXPECT_EQ(generic.nngp, closed.nngp);
  EXPECT_THROW(scalar_activation("swish"), ConfigError);
}

// Ridgeless regression interpolates its training points; ridge regression equals the solve of
// (K + ridge I) a = y done by hand on a 2 x 2 Gram.
TEST(KernelRegression, InterpolatesAndSolvesTheRidgeSystem) {
  const std::vector<double> gram = {2.0, 0.5, 0.5, 1.0}, y = {1.0, -1.0};
  const std::vector<double> fitted = kernel_regression(gram, y, gram);
  EXPECT_NEAR(fitted[0], 1.0, 1e-12);
  EXPECT_NEAR(fitted[1], -1.0, 1e-12);
  // (K + I) a = y: [[3, .5], [.5, 2]] a = [1, -1] -> a = [2.5, -3.5] / 5.75; test row [1, 1].
  const std::vector<double> test_row = {1.0, 1.0};
  EXPECT_NEAR(kernel_regression(gram, y, test_row, 1.0)[0], (2.5 - 3.5) / 5.75, 1e-12);
  EXPECT_EQ(ridgeless_kernel_classifier(gram, y, gram), (std::vector<double>{1.0, -1.0}));
  EXPECT_THROW(kernel_regression(gram, y, test_row, -1.0), ConfigError);
  EXPECT_THROW(kernel_regression(std::vector<double>{1.0, 2.0, 3.0}, y, test_row), ConfigError);
}

// The closed form of linearized gradient descent against the recursion it solves, iterated:
// f <- f - (lr/n) Theta (f - y) on the training points, and the test points driven by the same
// residuals through Theta(x, X). The Gram includes a near-zero eigenvalue (two close points).
TEST(KernelRegression, LinearizedGradientDescentMatchesItsRecursion) {
  constexpr std::size_t n = 4, m = 2;
  const std::vector<double> points = {0.0, 0.5, 0.5000001, 2.0}, test_points = {0.25, 1.5};
  const auto k = [](double a, double b) { return std::exp(-(a - b) * (a - b)); };
  std::vector<double> gram(n * n), cross(m * n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) gram[i * n + j] = k(points[i], points[j]);
    for (std::size_t t = 0; t < m; ++t) cross[t * n + i] = k(test_points[t], points[i]);
  }
  const std::vector<double> y = {1.0, -0.5, -0.4, 2.0}, f0 = {0.1, 0.2, 0.2, -0.3}, g0 = {0.05, -0.1};
  const double lr = 1.5;
  constexpr std::int64_t steps = 37;
  std::vector<double> f = f0, g = g0;
  for (std::int64_t step = 0; step < steps; ++step) {
    std::vector<double> residual(n);
    for (std::size_t i = 0; i < n; ++i) residual[i] = f[i] - y[i];
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) f[i] -= lr / n * gram[i * n + j] * residual[j];
    }
    for (std::size_t t = 0; t < m; ++t) {
      for (std::size_t j = 0; j < n; ++j) g[t] -= lr / n * cross[t * n + j] * residual[j];
    }
  }
  const LinearizedPrediction prediction = linearized_gradient_descent(gram, f0, y, cross, g0, lr, steps);
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(prediction.train[i], f[i], 1e-10) << i;
  for (std::size_t t = 0; t < m; ++t) EXPECT_NEAR(prediction.test[t], g[t], 1e-8) << t;
}

}  // namespace
}  // namespace descent::kernels

namespace descent::models {
namespace {

// The per-layer rules of microsoft/mup (mup/optim.py MuSGD and MuAdam, mup/layer.py MuReadout,
// set_base_shapes' rescaling) for an MLP at width multiplier m = 4: vector-like parameters take
// lr * m under SGD and lr under Adam; hidden weights lr (fan-in/fan-out ratio 1) and lr / m; the
// readout bias neither; the readout divides its input by m and its parameters are drawn sqrt(m)
// wider, hidden biases sqrt(m) wider.
TEST(Parameterization, MupMatchesMicrosoftMupsRules) {
  constexpr double m = 4.0;
  const LayerScaling input = layer_scaling(Parameterization::mup, {LayerRole::input, 784, 1.0, m}, 0.1);
  const LayerScaling hidden = layer_scaling(Parameterization::mup, {LayerRole::hidden, 1024, m, m}, 0.1);
  const LayerScaling readout = layer_scaling(Parameterization::mup, {LayerRole::readout, 1024, m, 1.0}, 0.1);
  EXPECT_EQ(input.weight_lr.linear, m);
  EXPECT_EQ(input.bias_lr.linear, m);
  EXPECT_EQ(input.weight_lr.invariant, 1.0);
  EXPECT_EQ(input.weight_init_factor, 1.0);
  EXPECT_EQ(hidden.weight_lr.linear, 1.0);
  EXPECT_EQ(hidden.weight_lr.invariant, 1.0 / m);
  EXPECT_EQ(hidden.bias_lr.linear, m);
  EXPECT_EQ(hidden.bias_lr.invariant, 1.0);
  EXPECT_EQ(hidden.bias_init_factor, 2.0);
  EXPECT_EQ(hidden.weight_init_factor, 1.0);
  EXPECT_EQ(readout.weight_multiplier, 1.0 / m);
  EXPECT_EQ(readout.bias_multiplier, 1.0);
  EXPECT_EQ(readout.weight_init_factor, 2.0);
  EXPECT_EQ(readout.bias_init_factor, 2.0);
  EXPECT_EQ(readout.weight_lr.linear, m);
  EXPECT_EQ(readout.weight_lr.invariant, 1.0);
  EXPECT_EQ(readout.bias_lr.linear, 1.0);
  EXPECT_EQ(readout.bias_lr.invariant, 1.0);
  // Jacot et al.'s NTK parameterization: N(0, 1) parameters, 1/sqrt(fan_in) and beta multipliers.
  const LayerScaling ntk = layer_scaling(Parameterization::ntk, {LayerRole::hidden, 256, 1.0, 1.0}, 0.1);
  EXPECT_TRUE(ntk.unit_gaussian_init);
  EXPECT_EQ(ntk.weight_multiplier, 1.0 / 16.0);
  EXPECT_EQ(ntk.bias_multiplier, 0.1);
  EXPECT_EQ(width_multiplier(1024, {Parameterization::mup, 256, 0.1}), 4.0);
  EXPECT_EQ(width_multiplier(1024, {Parameterization::mup, 0, 0.1}), 1.0);
}

}  // namespace
}  // namespace descent::models
