// Sequential Monte Carlo against the exact answers of the linear-Gaussian model: the Kalman
// likelihood and the RTS smoothing moments against dense Gaussian conditioning, the particle
// filter's likelihood estimate unbiased, PaRIS and PaRIS particle Gibbs close to the smoother.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "descent/core/error.hpp"
#include "descent/smc/state_space.hpp"

namespace descent::smc {
namespace {

using Matrix = std::vector<std::vector<double>>;

// The inverse of a small symmetric positive definite matrix by Gauss-Jordan elimination, and its log determinant.
Matrix inverse(Matrix m, double* log_determinant) {
  const std::size_t n = m.size();
  Matrix inv(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) inv[i][i] = 1.0;
  *log_determinant = 0.0;
  for (std::size_t c = 0; c < n; ++c) {
    const double pivot = m[c][c];
    *log_determinant += std::log(pivot);
    for (std::size_t j = 0; j < n; ++j) m[c][j] /= pivot, inv[c][j] /= pivot;
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = m[r][c];
      for (std::size_t j = 0; j < n; ++j) m[r][j] -= f * m[c][j], inv[r][j] -= f * inv[c][j];
    }
  }
  return inv;
}

// The joint Gaussian of (x_0..x_(T-1), y_0..y_(T-1)): Cov(x_s, x_t) = v a^|s-t|, y = x + noise.
struct Dense {
  Matrix state, observation;  // Cov(x, x) and Cov(y, y) = Cov(x, x) + sigma_v^2 I
};

Dense dense(const LinearGaussian& m, std::size_t length) {
  Dense d{Matrix(length, std::vector<double>(length)), Matrix(length, std::vector<double>(length))};
  for (std::size_t s = 0; s < length; ++s) {
    for (std::size_t t = 0; t < length; ++t) {
      d.state[s][t] = m.stationary_variance() * std::pow(m.a, std::abs(static_cast<double>(s) - static_cast<double>(t)));
      d.observation[s][t] = d.state[s][t] + (s == t ? m.sigma_v * m.sigma_v : 0.0);
    }
  }
  return d;
}

TEST(Kalman, LikelihoodAndSmoothingMomentsMatchDenseConditioning) {
  const LinearGaussian m{0.8, 0.6, 0.9};
  const std::vector<double> y = {0.3, -1.2, 0.5, 2.0, 0.1, -0.4};
  const std::size_t n = y.size();
  const Dense d = dense(m, n);
  double log_det = 0.0;
  const Matrix precision = inverse(d.observation, &log_det);
  double quadratic = 0.0;
  for (std::size_t s = 0; s < n; ++s) for (std::size_t t = 0; t < n; ++t) quadratic += y[s] * precision[s][t] * y[t];
  const double exact = -0.5 * quadratic - 0.5 * log_det - 0.5 * static_cast<double>(n) * std::log(2 * M_PI);
  const KalmanFilter filter = kalman_filter(m, y);
  EXPECT_NEAR(filter.log_likelihood, exact, 1e-12);

  // E[x | y] = C P y and Cov(x | y) = C - C P C with C = Cov(x, x) = Cov(x, y) and P = Cov(y, y)^-1.
  const RtsSmoother smoother = rts_smoother(m, filter);
  Matrix cp(n, std::vector<double>(n, 0.0));
  for (std::size_t s = 0; s < n; ++s) for (std::size_t t = 0; t < n; ++t) for (std::size_t k = 0; k < n; ++k) cp[s][t] += d.state[s][k] * precision[k][t];
  double lag_products = 0.0;
  std::vector<double> mean(n, 0.0);
  for (std::size_t s = 0; s < n; ++s) for (std::size_t t = 0; t < n; ++t) mean[s] += cp[s][t] * y[t];
  for (std::size_t s = 0; s < n; ++s) {
    EXPECT_NEAR(smoother.mean[s], mean[s], 1e-12) << s;
    const auto covariance = [&](std::size_t a, std::size_t b) {
      double c = d.state[a][b];
      for (std::size_t k = 0; k < n; ++k) c -= cp[a][k] * d.state[k][b];
      return c;
    };
    EXPECT_NEAR(smoother.variance[s], covariance(s, s), 1e-12) << s;
    if (s + 1 < n) {
      EXPECT_NEAR(smoother.lag_covariance[s], covariance(s, s + 1), 1e-12) << s;
      lag_products += covariance(s, s + 1) + mean[s] * mean[s + 1];
    }
  }
  EXPECT_NEAR(expected_lag_products(smoother), lag_products, 1e-12);
  // One observation or none: nothing to smooth backwards.
  EXPECT_EQ(rts_smoother(m, kalman_filter(m, {0.5})).mean, kalman_filter(m, {0.5}).mean);
  EXPECT_TRUE(rts_smoother(m, kalman_filter(m, {})).mean.empty());
}

// E[Z_hat / Z] = 1 (Del Moral): the mean of the ratio over 400 filters within 4 standard errors.
TEST(ParticleFilter, LikelihoodEstimateIsUnbiased) {
  const LinearGaussian m;
  Rng data(1);
  const Simulation sim = simulate(m, 50, data);
  const double exact = kalman_filter(m, sim.observations).log_likelihood;
  Rng rng(2);
  std::vector<double> ratios;
  for (int r = 0; r < 400; ++r) ratios.push_back(std::exp(bootstrap_log_likelihood(m.model(), sim.observations, 64, rng) - exact));
  double mean = 0.0, squares = 0.0;
  for (const double v : ratios) mean += v / 400.0;
  for (const double v : ratios) squares += (v - mean) * (v - mean);
  const double se = std::sqrt(squares / 399.0 / 400.0);
  EXPECT_LT(std::abs(mean - 1.0), 4 * se) << "mean " << mean << " se " << se;
  EXPECT_LT(se, 0.05);
}

// A simulated path of the default model and the exact E[sum x_t x_(t+1) | y] on it.
struct LagProblem {
  LinearGaussian m;
  Simulation sim;
  double exact = 0.0;
};

LagProblem lag_problem(std::int64_t length, std::uint64_t seed) {
  LagProblem p;
  Rng data(seed);
  p.sim = simulate(p.m, length, data);
  p.exact = expected_lag_products(rts_smoother(p.m, kalman_filter(p.m, p.sim.observations)));
  return p;
}

const AdditiveTerm product = [](double x, double next) { return x * next; };

TEST(Paris, EstimatesTheSmoothedLagProducts) {
  const auto [m, sim, exact] = lag_problem(100, 3);
  Rng rng(4);
  const double estimate = paris(m.model(), sim.observations, product, {1024, 2}, rng);
  EXPECT_NEAR(estimate / exact, 1.0, 0.03) << estimate << " vs " << exact;
  EXPECT_THROW(paris(m.model(), sim.observations, product, {1, 2}, rng), ConfigError);
  EXPECT_THROW(paris(m.model(), sim.observations, product, {16, 0}, rng), ConfigError);
}

TEST(ParticleGibbs, AveragesIterationsAfterTheBurnIn) {
  const auto [m, sim, exact] = lag_problem(60, 5);
  Rng rng(6);
  const ParticleGibbsResult result = paris_particle_gibbs(m.model(), sim.observations, product, {{32, 2}, 40, 10}, rng);
  ASSERT_EQ(result.per_iteration.size(), 40u);
  ASSERT_EQ(result.reference.size(), sim.observations.size());
  double mean = 0.0;
  for (std::size_t k = 10; k < 40; ++k) mean += result.per_iteration[k] / 30.0;
  EXPECT_DOUBLE_EQ(result.estimate, mean);
  EXPECT_NEAR(result.estimate / exact, 1.0, 0.05) << result.estimate << " vs " << exact;
  EXPECT_THROW(paris_particle_gibbs(m.model(), sim.observations, product, {{32, 2}, 5, 5}, rng), ConfigError);
  // Same seed, same numbers.
  Rng again(6);
  EXPECT_EQ(paris_particle_gibbs(m.model(), sim.observations, product, {{32, 2}, 40, 10}, again).per_iteration, result.per_iteration);
}

}  // namespace
}  // namespace descent::smc
