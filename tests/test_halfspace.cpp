// The tester-learner for halfspaces: Gaussian moments and Bonferroni limits against closed forms,
// the surrogate's gradient against finite differences, Massart noise at its stated rate, and the
// tests accepting Gaussian samples and rejecting the crafted laws they are built to catch.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/halfspace/tester_learner.hpp"

namespace descent::halfspace {
namespace {

TEST(Halfspace, GaussianMomentsAndLimitsMatchClosedForms) {
  EXPECT_EQ(gaussian_monomial_moment({4}), 3.0);
  EXPECT_EQ(gaussian_monomial_moment({2, 2}), 1.0);
  EXPECT_EQ(gaussian_monomial_moment({6, 0, 2}), 15.0);
  EXPECT_EQ(gaussian_monomial_moment({3, 1}), 0.0);
  EXPECT_EQ(gaussian_monomial_moment({8}), 105.0);
  EXPECT_NEAR(bonferroni_limit(0.05, 1), 1.959963984540054, 1e-9);
  EXPECT_NEAR(bonferroni_limit(0.01, 100), 3.890591886413094, 1e-9);  // scipy's norm.isf(0.5e-4): two-sided tail 1e-4
}

TEST(Halfspace, MassartNoiseFlipsAtItsRate) {
  const std::vector<double> w_star = random_unit_vector(10, 1);
  const LabelledSample sample = massart_sample({.dimension = 10, .size = 200000}, w_star, 2);
  // opt = 0.2 P(|z| <= 1) + 0.05 P(|z| > 1) for z = <w*, x> ~ N(0, 1).
  const double inside = std::erf(1.0 / std::sqrt(2.0)), opt = 0.2 * inside + 0.05 * (1 - inside);
  EXPECT_NEAR(optimal_error(sample), opt, 4 * std::sqrt(0.0055 / 200000.0));
  EXPECT_NEAR(error_rate(sample, w_star), opt, 4 * std::sqrt(opt * (1 - opt) / 200000.0));
  EXPECT_THROW(massart_sample({.dimension = 10, .size = 10, .eta_near = 0.5}, w_star, 2), ConfigError);
  EXPECT_THROW(error_rate(sample, {1.0, 0.0}), ConfigError);
}

TEST(Halfspace, SurrogateGradientMatchesFiniteDifferences) {
  const std::vector<double> w_star = random_unit_vector(5, 3);
  const LabelledSample sample = massart_sample({.dimension = 5, .size = 500}, w_star, 4);
  const std::vector<double> w = random_unit_vector(5, 5);
  const std::vector<double> gradient = leaky_relu_gradient(sample, w, 0.2);
  constexpr double h = 1e-7;
  for (std::size_t j = 0; j < 5; ++j) {
    std::vector<double> up = w, down = w;
    up[j] += h;
    down[j] -= h;
    // Piecewise linear: no margin crosses zero within h here, so the difference is exact up to rounding.
    EXPECT_NEAR(gradient[j], (leaky_relu_loss(sample, up, 0.2) - leaky_relu_loss(sample, down, 0.2)) / (2 * h), 1e-7) << j;
  }
}

TEST(Halfspace, MomentTestAcceptsGaussianAndRejectsTheSphere) {
  const std::vector<double> w_star = random_unit_vector(6, 6);
  const LabelledSample gaussian = massart_sample({.dimension = 6, .size = 50000}, w_star, 7);
  const TestReport accepted = moment_test(gaussian, 4, 0.01);
  EXPECT_EQ(accepted.deviations.size(), 6u + 21 + 56 + 126);  // monomials of degree 1..4 in 6 variables
  EXPECT_TRUE(accepted.pass) << accepted.worst.statistic << " z " << accepted.worst.z;
  // On the sphere of radius sqrt(d), E[x_i^2 x_j^2] = d / (d + 2) = 0.75 at d = 6, not 1 (and
  // E[x_i^4] = 2.25, not 3, but its Gaussian variance 96 makes it the smaller z).
  const LabelledSample sphere = massart_sample({.dimension = 6, .size = 50000, .law = InputLaw::sphere}, w_star, 8);
  const TestReport rejected = moment_test(sphere, 4, 0.01);
  EXPECT_FALSE(rejected.pass);
  EXPECT_NE(rejected.worst.statistic.find("^2 x"), std::string::npos) << rejected.worst.statistic;
  EXPECT_NEAR(rejected.worst.measured, 0.75, 0.02);
  EXPECT_TRUE(moment_test(sphere, 2, 0.01).pass);  // the first two moments of the sphere are Gaussian's
}

TEST(Halfspace, BandTestRejectsExtraMassAtTheBoundary) {
  const std::vector<double> w_star = random_unit_vector(8, 9);
  const LabelledSample gaussian = massart_sample({.dimension = 8, .size = 50000}, w_star, 10);
  const TestReport accepted = band_test(gaussian, w_star, 0.3, 0.01);
  EXPECT_EQ(accepted.deviations.size(), 1u + 8 * 9 / 2);
  EXPECT_TRUE(accepted.pass) << accepted.worst.statistic << " z " << accepted.worst.z;
  const LabelledSample heavy = massart_sample({.dimension = 8, .size = 50000, .law = InputLaw::boundary_heavy}, w_star, 11);
  const TestReport rejected = band_test(heavy, w_star, 0.3, 0.01);
  EXPECT_FALSE(rejected.pass);
  EXPECT_EQ(rejected.worst.statistic, "band mass");
  // 0.9 of the Gaussian mass plus the moved tenth: 0.9 erf(0.3 / sqrt 2) + 0.1.
  EXPECT_NEAR(rejected.worst.measured, 0.9 * std::erf(0.3 / std::sqrt(2.0)) + 0.1, 0.01);
}

TEST(Halfspace, TesterLearnerAcceptsGaussianInputsAndLearnsNearOpt) {
  const std::vector<double> w_star = random_unit_vector(10, 12);
  const LabelledSample train = massart_sample({.dimension = 10, .size = 50000}, w_star, 13);
  const LabelledSample fresh = massart_sample({.dimension = 10, .size = 50000}, w_star, 14);
  const TesterLearnerResult result = tester_learner(train, fresh, {}, 15);
  EXPECT_TRUE(result.accepted);
  EXPECT_LE(error_rate(fresh, result.w), optimal_error(fresh) + 0.05);
  double alignment = 0.0;
  for (std::size_t j = 0; j < 10; ++j) alignment += result.w[j] * w_star[j];
  EXPECT_GT(alignment, 0.95);
}

}  // namespace
}  // namespace descent::halfspace
