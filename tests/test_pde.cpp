// The quartic variational problem's pieces against closed forms: spectral derivatives of a
// trigonometric polynomial, the energy of sin x, preconditioned descent recovering a manufactured
// solution, and the Deep Ritz Monte Carlo energy against the grid energy of the same network.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/pde/quartic_energy.hpp"

namespace descent::pde {
namespace {

TEST(QuarticEnergy, SpectralDerivativesAndEnergyAreExactOnTrigonometricPolynomials) {
  const PeriodicGrid grid = periodic_grid(32);
  const torch::Tensor u = torch::sin(2 * grid.x) * torch::cos(3 * grid.y);
  const auto [ux, uy] = spectral_gradient(grid, u);
  EXPECT_LT((ux - 2 * torch::cos(2 * grid.x) * torch::cos(3 * grid.y)).abs().max().item<double>(), 1e-12);
  EXPECT_LT((uy + 3 * torch::sin(2 * grid.x) * torch::sin(3 * grid.y)).abs().max().item<double>(), 1e-12);
  // u = sin x, f = 0: 2 pi (pi/2 + pi/2 + (1/4)(3 pi / 4)) = 2 pi^2 (19/16).
  EXPECT_NEAR(grid_energy(grid, torch::sin(grid.x), torch::zeros_like(grid.x)), 2 * M_PI * M_PI * 19.0 / 16.0, 1e-12);
  EXPECT_THROW(periodic_grid(2), ConfigError);
}

TEST(QuarticEnergy, PreconditionedDescentFindsTheManufacturedSolution) {
  const PeriodicGrid grid = periodic_grid(32);
  // u* = 0.4 sin x cos y has -Laplacian u* = 2 u*, so f = 3 u* + u*^3 makes DE(u*) = 0.
  const auto solution = [](const torch::Tensor& x, const torch::Tensor& y) { return 0.4 * torch::sin(x) * torch::cos(y); };
  const Source f = [&](const torch::Tensor& x, const torch::Tensor& y) {
    const torch::Tensor u = solution(x, y);
    return 3 * u + u.pow(3);
  };
  const PreconditionedDescent descent = preconditioned_gradient_descent(grid, f, 1.0, 100, 1e-13);
  EXPECT_LT((descent.u - solution(grid.x, grid.y)).abs().max().item<double>(), 1e-11);
  EXPECT_LT(descent.residuals.back(), 1e-13);
  for (std::size_t t = 1; t < descent.residuals.size(); ++t) EXPECT_LT(descent.residuals[t], descent.residuals[t - 1]) << t;
  EXPECT_THROW(preconditioned_gradient_descent(grid, f, 0.0, 10), ConfigError);
}

TEST(DeepRitz, MonteCarloEnergyEstimatesTheGridEnergyOfTheNetwork) {
  torch::manual_seed(3);
  RitzNetwork network(32, 1);
  network->to(torch::kFloat64);
  const Source f = [](const torch::Tensor& x, const torch::Tensor& y) { return torch::sin(x) * torch::cos(y); };
  torch::Generator generator = at::detail::createCPUGenerator(4);
  const double monte_carlo = deep_ritz_energy(network, f, 200000, generator).item<double>();
  const PeriodicGrid grid = periodic_grid(64);
  torch::NoGradGuard no_grad;
  const double on_grid = grid_energy(grid, network->forward(grid.x, grid.y), f(grid.x, grid.y));
  EXPECT_NEAR(monte_carlo / on_grid, 1.0, 0.01) << monte_carlo << " vs " << on_grid;
}

}  // namespace
}  // namespace descent::pde
