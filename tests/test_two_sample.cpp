// Two-sample testing and EPS-AD's pieces: the VP-SDE against its ODEs, the mixture score against
// finite differences of the log density, EPS against its closed-form expectation, MMD and AUROC
// against direct formulas, the permutation test and the deep kernel's training.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/two_sample/auroc.hpp"
#include "descent/two_sample/mmd.hpp"
#include "descent/two_sample/perturbation_score.hpp"
#include "descent/two_sample/score_matching.hpp"
#include "descent/two_sample/vp_sde.hpp"

namespace descent::two_sample {
namespace {

// The marginal's mean coefficient m and variance v solve dm/dt = -beta m / 2 and dv/dt = beta (1 - v);
// RK4 with 20,000 steps integrates both to ~1e-15.
TEST(VpSde, MarginalMatchesItsOdes) {
  const VpSde sde;
  double m = 1.0, v = 0.0;
  constexpr int steps = 20000;
  const double h = 1.0 / steps;
  const auto dm = [&](double t, double value) { return -0.5 * sde.beta(t) * value; };
  const auto dv = [&](double t, double value) { return sde.beta(t) * (1 - value); };
  for (int i = 0; i < steps; ++i) {
    const double t = i * h;
    const double m1 = dm(t, m), m2 = dm(t + h / 2, m + h / 2 * m1), m3 = dm(t + h / 2, m + h / 2 * m2), m4 = dm(t + h, m + h * m3);
    const double v1 = dv(t, v), v2 = dv(t + h / 2, v + h / 2 * v1), v3 = dv(t + h / 2, v + h / 2 * v2), v4 = dv(t + h, v + h * v3);
    m += h / 6 * (m1 + 2 * m2 + 2 * m3 + m4);
    v += h / 6 * (v1 + 2 * v2 + 2 * v3 + v4);
    const double next = (i + 1) * h;
    if ((i + 1) % 1000 == 0 || i + 1 == 1 || i + 1 == 20) {
      EXPECT_NEAR(sde.mean_coefficient(next), m, 1e-7) << next;
      EXPECT_NEAR(sde.marginal_std(next), std::sqrt(v), 1e-7) << next;
    }
  }
  EXPECT_NEAR(sde.mean_coefficient(0.05), std::exp(-0.25 * 0.0025 * 19.9 - 0.5 * 0.05 * 0.1), 1e-15);
}

GaussianMixture two_components() {
  const auto f64 = torch::kFloat64;
  return {torch::tensor({0.3, 0.7}, f64), torch::tensor({{1.0, -0.5, 0.0}, {-1.0, 0.5, 2.0}}, f64), torch::tensor({0.5, 0.8}, f64)};
}

double log_density(const GaussianMixture& mixture, const VpSde& sde, const torch::Tensor& x, double t) {
  const double alpha = sde.mean_coefficient(t), sigma = sde.marginal_std(t);
  double total = 0.0;
  for (std::int64_t k = 0; k < 2; ++k) {
    const double variance = alpha * alpha * std::pow(mixture.stds[k].item<double>(), 2) + sigma * sigma;
    const double distance = (x - alpha * mixture.means[k]).pow(2).sum().item<double>();
    total += mixture.weights[k].item<double>() * std::exp(-0.5 * distance / variance) / std::pow(2 * M_PI * variance, 1.5);
  }
  return std::log(total);
}

// mixture_score at each row of x (3 coordinates) and t in {0.001, 0.05, 0.4} against central
// differences of step h of `log_density`, within tolerance(numeric).
template <class LogDensity, class Tolerance>
void expect_score_is_the_gradient(const GaussianMixture& mixture, const torch::Tensor& x, const LogDensity& log_density, double h,
                                  const Tolerance& tolerance) {
  const VpSde sde;
  for (const double t : {0.001, 0.05, 0.4}) {
    const torch::Tensor score = mixture_score(mixture, sde, x, t);
    for (std::int64_t b = 0; b < x.size(0); ++b) {
      for (std::int64_t j = 0; j < 3; ++j) {
        torch::Tensor up = x[b].clone(), down = x[b].clone();
        up[j] += h;
        down[j] -= h;
        const double numeric = (log_density(up, t) - log_density(down, t)) / (2 * h);
        EXPECT_NEAR(score[b][j].item<double>(), numeric, tolerance(numeric)) << t << " " << b << " " << j;
      }
    }
  }
}

TEST(PerturbationScore, MixtureScoreIsTheGradientOfTheLogDensity) {
  const GaussianMixture mixture = two_components();
  const VpSde sde;
  const torch::Tensor x = torch::tensor({{0.2, 0.1, 0.9}, {-2.0, 1.0, 1.5}}, torch::kFloat64);
  expect_score_is_the_gradient(
      mixture, x, [&](const torch::Tensor& point, double t) { return log_density(mixture, sde, point, t); }, 1e-6,
      [](double) { return 1e-7; });
}

// With a subspace, each component is N(mu_k, s_k^2 U U^T + s_perp^2 (I - U U^T)); its diffused
// log density from the dense covariance alpha^2 Sigma_k + sigma^2 I.
TEST(PerturbationScore, SubspaceMixtureScoreIsTheGradientOfTheLogDensity) {
  GaussianMixture mixture = two_components();
  const auto f64 = torch::kFloat64;
  mixture.subspace = torch::tensor({{0.6, 0.0}, {0.8, 0.0}, {0.0, 1.0}}, f64);  // orthonormal columns
  mixture.means = torch::matmul(torch::matmul(mixture.means, mixture.subspace), mixture.subspace.t());
  mixture.off_subspace_std = 0.05;
  const VpSde sde;
  const auto log_density = [&](const torch::Tensor& x, double t) {
    const double alpha = sde.mean_coefficient(t), sigma = sde.marginal_std(t);
    const torch::Tensor projector = torch::matmul(mixture.subspace, mixture.subspace.t()), identity = torch::eye(3, f64);
    double total = 0.0;
    for (std::int64_t k = 0; k < 2; ++k) {
      const double s = mixture.stds[k].item<double>();
      const torch::Tensor covariance = alpha * alpha * (s * s * projector + 0.0025 * (identity - projector)) + sigma * sigma * identity;
      const torch::Tensor offset = x - alpha * mixture.means[k];
      const double quadratic = offset.dot(torch::linalg::solve(covariance, offset, true)).item<double>();
      total += mixture.weights[k].item<double>() * std::exp(-0.5 * quadratic) / std::sqrt(std::pow(2 * M_PI, 3) * torch::det(covariance).item<double>());
    }
    return std::log(total);
  };
  const torch::Tensor x = torch::tensor({{0.2, 0.1, 0.9}, {-0.5, 0.3, 1.5}}, f64);
  expect_score_is_the_gradient(mixture, x, log_density, 1e-7, [](double numeric) { return 1e-5 * std::max(1.0, std::abs(numeric)); });
  torch::Generator generator = at::detail::createCPUGenerator(9);
  const torch::Tensor drawn = mixture.sample(20000, generator).first;
  const torch::Tensor across = drawn - torch::matmul(torch::matmul(drawn, mixture.subspace), mixture.subspace.t());
  EXPECT_NEAR(across.pow(2).sum(1).mean().item<double>(), 0.0025, 1e-4);  // one dimension across, variance s_perp^2
}

// For one Gaussian N(mu, s^2 I): E[EPS(x)] = -(1/T) sum_k alpha_k (x - mu) / (alpha_k^2 s^2 + sigma_k^2).
TEST(PerturbationScore, EpsAveragesToItsClosedForm) {
  const auto f64 = torch::kFloat64;
  const GaussianMixture single{torch::tensor({1.0}, f64), torch::tensor({{0.5, -0.5}}, f64), torch::tensor({0.4}, f64)};
  const VpSde sde;
  const PerturbationOptions options;
  const torch::Tensor x = torch::tensor({{1.0, 0.0}}, f64).expand({4000, 2}).contiguous();
  torch::Generator generator = at::detail::createCPUGenerator(3);
  const torch::Tensor eps = expected_perturbation_score([&](const torch::Tensor& xt, double t) { return mixture_score(single, sde, xt, t); },
                                                        sde, x, options, generator);
  double factor = 0.0;
  for (int k = 1; k <= options.steps; ++k) {
    const double t = k * options.dt, alpha = sde.mean_coefficient(t), sigma = sde.marginal_std(t);
    factor += alpha / (alpha * alpha * 0.16 + sigma * sigma) / options.steps;
  }
  const std::vector<double> expected = {-factor * 0.5, -factor * 0.5};
  for (std::int64_t j = 0; j < 2; ++j) {
    const torch::Tensor column = eps.select(1, j);
    const double standard_error = column.std().item<double>() / std::sqrt(4000.0);
    EXPECT_NEAR(column.mean().item<double>(), expected[static_cast<std::size_t>(j)], 3 * standard_error) << j;
  }
}

// Denoising score matching on N(0, 0.25 I) in R^2 learns the exact diffused score -x / (alpha^2 / 4 + sigma^2).
TEST(ScoreMatching, LearnsTheScoreOfAGaussian) {
  torch::manual_seed(8);
  torch::Generator generator = at::detail::createCPUGenerator(9);
  const torch::Tensor data = 0.5 * torch::randn({4000, 2}, generator, torch::kFloat64);
  ScoreNetwork network(2, std::vector<std::int64_t>{64, 64});
  network->to(torch::kFloat64);
  const VpSde sde;
  const std::vector<double> losses = train_score_network(network, data, sde, {.steps = 2000}, generator);
  ASSERT_EQ(losses.size(), 2000u);
  torch::NoGradGuard no_grad;
  for (const double t : {0.01, 0.05}) {
    const double alpha = sde.mean_coefficient(t), sigma = sde.marginal_std(t);
    const torch::Tensor x = alpha * data.narrow(0, 0, 400) + sigma * torch::randn({400, 2}, generator, torch::kFloat64);
    const torch::Tensor exact = -x / (alpha * alpha * 0.25 + sigma * sigma);
    const double relative = ((network->forward(x, t) - exact).norm() / exact.norm()).item<double>();
    EXPECT_LT(relative, 0.15) << t;  // an untrained network is off by about 100%
  }
}

TEST(Mmd, EstimatesMatchTheirDirectFormulas) {
  torch::Generator generator = at::detail::createCPUGenerator(4);
  const torch::Tensor x = torch::randn({7, 3}, generator, torch::kFloat64), y = torch::randn({7, 3}, generator, torch::kFloat64) + 0.5;
  const KernelMatrices k{gaussian_kernel(x, x, 2.0), gaussian_kernel(y, y, 2.0), gaussian_kernel(x, y, 2.0)};
  const auto at = [](const torch::Tensor& m, int i, int j) { return m[i][j].item<double>(); };
  const int n = 7;
  double sx = 0, sy = 0, sxy = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (i == j) continue;
      sx += at(k.xx, i, j), sy += at(k.yy, i, j), sxy += at(k.xy, i, j);
    }
  }
  EXPECT_NEAR(mmd2_unbiased(k).item<double>(), (sx + sy - 2 * sxy) / (n * (n - 1)), 1e-12);
  const double diagonals = k.xx.diagonal().sum().item<double>() + k.yy.diagonal().sum().item<double>() - 2 * k.xy.diagonal().sum().item<double>();
  EXPECT_NEAR(mmd2_biased(k).item<double>(), (sx + sy - 2 * sxy + diagonals) / (n * n), 1e-12);
  double v1 = 0, v2 = 0;
  for (int i = 0; i < n; ++i) {
    double row = 0;
    for (int j = 0; j < n; ++j) {
      const double h = at(k.xx, i, j) + at(k.yy, i, j) - at(k.xy, i, j) - at(k.xy, j, i);
      row += h;
      v2 += h;
    }
    v1 += (row / n) * (row / n);
  }
  v1 /= n;
  v2 /= n * n;
  EXPECT_NEAR(mmd2_variance(k).item<double>(), 4 * (v1 - v2 * v2), 1e-12);
  // MMD^2_b(X, {y}) for each column y of K_XY.
  const torch::Tensor batch = mmd2_batch(k.xx.mean(), k.xy, torch::ones({n}, torch::kFloat64));
  for (int j = 0; j < n; ++j) {
    double cross = 0;
    for (int i = 0; i < n; ++i) cross += at(k.xy, i, j);
    EXPECT_NEAR(batch[j].item<double>(), k.xx.mean().item<double>() - 2 * cross / n + 1.0, 1e-12);
  }
  EXPECT_NEAR(at(k.xy, 1, 2), std::exp(-(x[1] - y[2]).pow(2).sum().item<double>() / 2.0), 1e-14);
  EXPECT_THROW(mmd2_unbiased({k.xx, k.yy.narrow(0, 0, 3), k.xy}), ConfigError);
}

TEST(Auroc, IsTheProbabilityAPositiveOutscoresANegative) {
  const std::vector<double> negatives = {0.1, 0.4, 0.35, 0.8, 0.4}, positives = {0.4, 0.9, 0.35};
  double wins = 0;
  for (const double p : positives) {
    for (const double q : negatives) wins += p > q ? 1.0 : (p == q ? 0.5 : 0.0);
  }
  EXPECT_DOUBLE_EQ(auroc(negatives, positives), wins / 15.0);
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{0, 1}, std::vector<double>{2, 3}), 1.0);
  EXPECT_THROW(auroc(std::vector<double>{}, positives), ConfigError);
}

TEST(Mmd, PermutationTestSeparatesShiftedSamples) {
  torch::Generator generator = at::detail::createCPUGenerator(5);
  const torch::Tensor x = torch::randn({40, 2}, generator, torch::kFloat64), same = torch::randn({40, 2}, generator, torch::kFloat64);
  const torch::Tensor shifted = torch::randn({40, 2}, generator, torch::kFloat64) + 1.5;
  EXPECT_DOUBLE_EQ(permutation_p_value(x, shifted, 2.0, 99, generator), 0.01);  // no permutation reaches it
  EXPECT_GT(permutation_p_value(x, same, 2.0, 99, generator), 0.05);
}

TEST(Mmd, DeepKernelTrainingRaisesTheTestPower) {
  torch::manual_seed(6);
  torch::Generator generator = at::detail::createCPUGenerator(7);
  const torch::Tensor x = torch::randn({200, 4}, generator, torch::kFloat64);
  torch::Tensor y = torch::randn({200, 4}, generator, torch::kFloat64);
  y.select(1, 0).add_(0.7);  // a mean shift along one coordinate of four
  DeepKernel kernel(DeepKernelOptions{.inputs = 4, .hidden = {16}, .features = 8, .sigma = 8.0, .sigma0 = 2.0});
  kernel->to(torch::kFloat64);
  const torch::Tensor k = kernel->forward(x.narrow(0, 0, 5), x.narrow(0, 0, 5));
  EXPECT_LT((k - k.t()).abs().max().item<double>(), 1e-15);
  EXPECT_LT((k.diagonal() - 1).abs().max().item<double>(), 1e-15);
  const auto full_objective = [&] {
    torch::NoGradGuard no_grad;
    return test_power_objective({kernel->forward(x, x), kernel->forward(y, y), kernel->forward(x, y)}).item<double>();
  };
  const double before = full_objective();
  const std::vector<double> objective = train_deep_kernel(kernel, x, y, 1e-2, 40, 100, generator);
  ASSERT_EQ(objective.size(), 40u);
  EXPECT_GT(full_objective(), before) << before;
  EXPECT_GT(objective.back(), objective.front());
}

}  // namespace
}  // namespace descent::two_sample
