// Nelder-Mead: Rosenbrock from the classical start, a convex quadratic in 5-D (standard and Gao-Han
// coefficients), the evaluation budget and the best-value history, box bounds by clamping, and
// determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "descent/rl/nelder_mead.hpp"

namespace descent::rl {
namespace {

double rosenbrock(const std::vector<double>& x) { return 100.0 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1.0 - x[0], 2); }

// A convex quadratic with unequal curvatures and a coupling term; its minimum is at c.
double quadratic5(const std::vector<double>& x) {
  const double c[5] = {1.0, -2.0, 0.5, 3.0, -1.0};
  double sum = 0.0;
  for (std::size_t i = 0; i < 5; ++i) sum += static_cast<double>(i + 1) * std::pow(x[i] - c[i], 2);
  return sum + 0.5 * (x[0] - c[0]) * (x[1] - c[1]);
}

TEST(NelderMead, RosenbrockFromTheClassicalStart) {
  NelderMeadOptions options;
  options.max_evaluations = 2000;
  options.value_tolerance = 1e-16;
  options.size_tolerance = 1e-10;
  const NelderMeadResult r = nelder_mead(rosenbrock, {-1.2, 1.0}, options);
  EXPECT_EQ(r.stop, NelderMeadStop::converged);
  EXPECT_NEAR(r.point[0], 1.0, 1e-6);
  EXPECT_NEAR(r.point[1], 1.0, 1e-6);
  EXPECT_LT(r.value, 1e-12);
  EXPECT_LT(r.evaluations, 2000);
}

TEST(NelderMead, ConvexQuadraticIn5DWithBothCoefficientSets) {
  for (const bool adaptive : {false, true}) {
    NelderMeadOptions options;
    options.max_evaluations = 5000;
    options.adaptive = adaptive;
    options.initial_step = 0.5;
    options.value_tolerance = 1e-14;
    options.size_tolerance = 1e-8;
    const NelderMeadResult r = nelder_mead(quadratic5, std::vector<double>(5, 0.0), options);
    const double c[5] = {1.0, -2.0, 0.5, 3.0, -1.0};
    for (std::size_t i = 0; i < 5; ++i) EXPECT_NEAR(r.point[i], c[i], 1e-5) << "adaptive " << adaptive << " coordinate " << i;
    EXPECT_LT(r.value, 1e-10);
    EXPECT_EQ(r.stop, NelderMeadStop::converged);
  }
}

TEST(NelderMead, EvaluationBudgetAndHistory) {
  std::int64_t calls = 0;
  NelderMeadOptions options;
  options.max_evaluations = 37;
  const NelderMeadResult r = nelder_mead(
      [&](const std::vector<double>& x) {
        ++calls;
        return quadratic5(x);
      },
      std::vector<double>(5, 0.0), options);
  EXPECT_EQ(r.stop, NelderMeadStop::max_evaluations);
  EXPECT_EQ(r.evaluations, 37);
  EXPECT_EQ(calls, 37);
  ASSERT_EQ(r.best_history.size(), 37u);
  EXPECT_DOUBLE_EQ(r.best_history.front(), quadratic5(std::vector<double>(5, 0.0)));
  for (std::size_t k = 1; k < r.best_history.size(); ++k) EXPECT_LE(r.best_history[k], r.best_history[k - 1]);
  EXPECT_DOUBLE_EQ(r.best_history.back(), r.value);
  EXPECT_DOUBLE_EQ(quadratic5(r.point), r.value);
  // A budget smaller than the initial simplex: stops after it, with the best so far.
  options.max_evaluations = 3;
  const NelderMeadResult tiny = nelder_mead(quadratic5, std::vector<double>(5, 0.0), options);
  EXPECT_EQ(tiny.evaluations, 3);
}

TEST(NelderMead, ClampsToTheBox) {
  // The unconstrained minimum (2, -3) lies outside the box [-1, 1]^2: the answer is the corner.
  NelderMeadOptions options;
  options.lower = {-1.0, -1.0};
  options.upper = {1.0, 1.0};
  options.max_evaluations = 500;
  bool outside = false;
  const NelderMeadResult r = nelder_mead(
      [&](const std::vector<double>& x) {
        outside = outside || std::abs(x[0]) > 1.0 || std::abs(x[1]) > 1.0;
        return std::pow(x[0] - 2.0, 2) + std::pow(x[1] + 3.0, 2);
      },
      {0.95, 0.0}, options);  // near the upper face: the first simplex edge steps down instead
  EXPECT_FALSE(outside);
  EXPECT_NEAR(r.point[0], 1.0, 1e-8);
  EXPECT_NEAR(r.point[1], -1.0, 1e-8);
  EXPECT_NEAR(r.value, 1.0 + 4.0, 1e-7);
}

TEST(NelderMead, DeterministicAndNonFiniteValuesAreWorst) {
  NelderMeadOptions options;
  options.max_evaluations = 300;
  const auto f = [](const std::vector<double>& x) { return x[0] < -0.5 ? std::nan("") : rosenbrock(x); };
  const NelderMeadResult a = nelder_mead(f, {0.0, 0.0}, options);
  const NelderMeadResult b = nelder_mead(f, {0.0, 0.0}, options);
  EXPECT_EQ(a.point, b.point);
  EXPECT_EQ(a.best_history, b.best_history);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_TRUE(std::isfinite(a.value));
}

TEST(NelderMead, RejectsBadArguments) {
  NelderMeadOptions options;
  EXPECT_THROW(nelder_mead(rosenbrock, {}, options), std::invalid_argument);
  options.initial_step = 0.0;
  EXPECT_THROW(nelder_mead(rosenbrock, {0.0, 0.0}, options), std::invalid_argument);
  options = {};
  options.lower = {0.0};
  EXPECT_THROW(nelder_mead(rosenbrock, {0.0, 0.0}, options), std::invalid_argument);
  options = {};
  options.lower = {1.0, 1.0};
  options.upper = {0.0, 2.0};
  EXPECT_THROW(nelder_mead(rosenbrock, {0.0, 0.0}, options), std::invalid_argument);
  options = {};
  options.max_evaluations = 0;
  EXPECT_THROW(nelder_mead(rosenbrock, {0.0, 0.0}, options), std::invalid_argument);
}

}  // namespace
}  // namespace descent::rl
