// ReLU's infinite-width kernels: the dual activations against Monte Carlo, the recursions'
// diagonal in closed form, and the limit NTK positive definite on the circle (Jacot et al.'s
// Proposition 2 for non-polynomial activations).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/kernels/dual_activation.hpp"
#include "descent/kernels/infinite_depth.hpp"
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
// The normalized duals of Radhakrishnan et al.'s activations against the quadrature dual of the
// activation itself at unit variance, divided by its value at rho = 1: sqrt(2) ReLU, sin(sqrt(a) z),
// and (h_1 + h_3) / sqrt(2) with the orthonormal Hermite h_3 = (z^3 - 3 z) / sqrt(6) for 3d_opt.
TEST(InfiniteDepth, NormalizedDualsMatchQuadratureOfTheirActivations) {
  const double a = 2.676, root = std::sqrt(a);
  const std::vector<std::pair<NormalizedDual, ScalarActivation>> cases = {
      {normalized_dual("relu"), scalar_activation("relu")},
      {normalized_dual("sine_2.676"), ScalarActivation{[root](double z) { return std::sin(root * z); }, [root](double z) { return root * std::cos(root * z); }}},
      {normalized_dual("3d_opt"), ScalarActivation{[](double z) { return (z + (z * z * z - 3 * z) / std::sqrt(6.0)) / std::sqrt(2.0); },
                                                   [](double z) { return (1 + (3 * z * z - 3) / std::sqrt(6.0)) / std::sqrt(2.0); }}}};
  for (const auto& [dual, activation] : cases) {
    const DualActivation quadrature = quadrature_dual(activation, 64);
    const DualValues at_one = quadrature(1.0, 1.0, 1.0 - 1e-15);
    EXPECT_NEAR(dual.value(1.0), 1.0, 1e-12) << dual.name;
    for (const double rho : {-0.8, -0.3, 0.0, 0.4, 0.9}) {
      const DualValues q = quadrature(1.0, 1.0, rho);
      EXPECT_NEAR(dual.value(rho), q.value / at_one.value, 1e-7) << dual.name << " at " << rho;
      // psi'(rho) = E[phi'(u) phi'(v)] / E[phi(z)^2] (the derivative of E[phi(u) phi(v)] in rho).
      EXPECT_NEAR(dual.derivative(rho), q.derivative / at_one.value, 1e-7) << dual.name << " at " << rho;
    }
  }
  EXPECT_THROW(hermite_dual({0.5, 0.6}), ConfigError);
  EXPECT_THROW(normalized_dual("sine_x"), ConfigError);
  EXPECT_THROW(normalized_dual("swish"), ConfigError);
}

// The reference code's pairings: 2d_opt with 2-d data, 3d_opt and sine_2.676 with 3-d data, each
// the Hilbert exponent d - 1; ReLU to majority vote, rho^k to 1-nearest neighbour.
TEST(InfiniteDepth, LimitRulesAndExponents) {
  EXPECT_EQ(deep_limit(normalized_dual("relu")).limit, DeepLimit::majority_vote);
  EXPECT_EQ(deep_limit(normalized_dual("hermite_2")).limit, DeepLimit::nearest_neighbour);
  for (const auto& [name, exponent, tolerance] : {std::tuple{"2d_opt", 1.0, 1e-12}, std::tuple{"3d_opt", 2.0, 1e-12},
                                                  std::tuple{"5d_opt", 4.0, 1e-12}, std::tuple{"sine_2.676", 2.0, 5e-3}}) {
    const DeepLimitRule rule = deep_limit(normalized_dual(name));
    EXPECT_EQ(rule.limit, DeepLimit::singular_kernel) << name;
    EXPECT_NEAR(rule.exponent, exponent, tolerance) << name;
  }
}

TEST(InfiniteDepth, RecursionByHandAndInLogs) {
  const NormalizedDual dual = normalized_dual("3d_opt");
  const std::vector<double> a = {1.0, 0.0, 0.6, 0.8}, b = {0.0, 1.0, 0.8, 0.6};  // two unit vectors each, in 2-d
  const DeepKernels k2 = deep_kernels(dual, a, b, 2, 2);
  // Pair (a0, b1): rho0 = 0.8.
  const double rho0 = 0.8, rho1 = dual.value(rho0), rho2 = dual.value(rho1);
  const double ntk1 = rho1 + rho0 * dual.derivative(rho0), ntk2 = rho2 + ntk1 * dual.derivative(rho1);
  EXPECT_NEAR(k2.nngp[1], rho2, 1e-15);
  EXPECT_NEAR(k2.ntk[1], ntk2, 1e-15);
  // The same span: the diagonal's correlation stays exactly 1 and the NTK's diagonal is
  // sum_l psi'(1)^l = 2^(L+1) - 1 for psi'(1) = 2.
  const DeepKernels self = deep_kernels(dual, a, a, 2, 5);
  EXPECT_EQ(self.nngp[0], 1.0);
  EXPECT_NEAR(self.ntk[0], 63.0, 1e-12);
  EXPECT_NEAR(self.nngp[1], self.nngp[2], 1e-15);
  // Logs agree where the value is representable; hermite_2 at depth 12 underflows (0.5^4096), its log does not.
  const std::vector<double> correlations = {0.0, 0.3, 0.95, 1.0};
  const std::vector<double> logs = log_deep_nngp(dual, correlations, 6);
  for (std::size_t i = 1; i < correlations.size(); ++i) {
    EXPECT_NEAR(logs[i], std::log(deep_kernels(dual, std::vector<double>{correlations[i]}, std::vector<double>{1.0}, 1, 6).nngp[0]), 1e-12);
  }
  EXPECT_EQ(logs[0], -INFINITY);
  const std::vector<double> deep = log_deep_nngp(normalized_dual("hermite_2"), std::vector<double>{0.5}, 12);
  EXPECT_NEAR(deep[0], 4096.0 * std::log(0.5), 1e-9);
  EXPECT_THROW(log_deep_nngp(normalized_dual("relu"), correlations, 3), ConfigError);
}

TEST(InfiniteDepth, LimitClassifiersByHand) {
  // Training points on the unit circle at angles 0, 0.1, 0.6 (labels +1, +1, -1); test at 0.4 and 2.
  const auto at = [](double t) { return std::vector<double>{std::cos(t), std::sin(t)}; };
  std::vector<double> train, test;
  for (const double t : {0.0, 0.1, 0.6}) for (const double v : at(t)) train.push_back(v);
  for (const double t : {0.4, 2.0}) for (const double v : at(t)) test.push_back(v);
  const std::vector<double> labels = {1.0, 1.0, -1.0};
  EXPECT_EQ(majority_vote(labels, 2), (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(nearest_neighbour_classifier(train, labels, test, 2), (std::vector<double>{-1.0, -1.0}));
  // At 0.4, sum y_i r_i^-alpha with the chord r = 2 sin(gap / 2): the two +1 points win at alpha = 1,
  // the nearer -1 point at alpha = 4.
  const auto r = [](double gap) { return 2 * std::sin(gap / 2); };
  const auto vote = [&](double alpha) { return std::pow(r(0.4), -alpha) + std::pow(r(0.3), -alpha) - std::pow(r(0.2), -alpha); };
  ASSERT_GT(vote(1.0), 0.0);
  ASSERT_LT(vote(4.0), 0.0);
  EXPECT_EQ(singular_kernel_classifier(train, labels, test, 2, 1.0)[0], 1.0);
  EXPECT_EQ(singular_kernel_classifier(train, labels, test, 2, 4.0)[0], -1.0);
  // A test point on a training point takes its label.
  EXPECT_EQ(singular_kernel_classifier(train, labels, at(0.6), 2, 2.0)[0], -1.0);
}

TEST(InfiniteDepth, DirichletSphereData) {
  const data::Splits splits = data::dirichlet_sphere({2000, 10, {0.5, 0.5, 2.5}, {2.5, 0.1, 0.5}, 0.4}, 3);
  double class1 = 0.0, third = 0.0;
  for (std::int64_t i = 0; i < splits.train.size(); ++i) {
    const float* x = splits.train.features.data() + 3 * i;
    EXPECT_NEAR(x[0] * x[0] + x[1] * x[1] + x[2] * x[2], 1.0, 1e-6);
    EXPECT_GE(std::min({x[0], x[1], x[2]}), 0.0f);
    class1 += splits.train.labels[i];
    // Class 1's simplex point has E[p_3] = 2.5 / 3.5: mostly along the third axis.
    if (splits.train.labels[i] == 1) third += x[2] > std::max(x[0], x[1]);
  }
  EXPECT_NEAR(class1 / 2000.0, 0.4, 4 * std::sqrt(0.24 / 2000.0));
  EXPECT_GT(third / class1, 0.8);
  EXPECT_THROW(data::dirichlet_sphere({10, 10, {1.0, 2.0}, {1.0}, 0.4}, 0), ConfigError);
  EXPECT_THROW(data::dirichlet_sphere({10, 10, {1.0, -2.0}, {1.0, 1.0}, 0.4}, 0), ConfigError);
}

// Gamma(k, 1) has mean k and variance k, for shapes below and above 1.
TEST(InfiniteDepth, GammaVariatesHaveTheirMoments) {
  Rng rng(9);
  for (const double shape : {0.1, 0.5, 2.5}) {
    constexpr int draws = 200000;
    double sum = 0.0, squares = 0.0;
    for (int i = 0; i < draws; ++i) {
      const double g = data::gamma_variate(rng, shape);
      sum += g, squares += g * g;
    }
    const double mean = sum / draws, variance = squares / draws - mean * mean;
    EXPECT_NEAR(mean, shape, 5 * std::sqrt(shape / draws)) << shape;
    EXPECT_NEAR(variance, shape, 0.03 * shape + 0.01) << shape;
  }
}

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
