// The deep conjugate direction method's LibTorch side: the grid operator against the sparse
// matrix, the scale-invariant loss (zero at A^-1 b, unchanged by scaling q), and the network as a
// DCDM direction model.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "descent/linsolve/conjugate_directions.hpp"
#include "descent/linsolve/direction_network.hpp"

namespace descent::linsolve {
namespace {

PoissonProblem with_obstacle() {
  return poisson_2d(8, [](std::int64_t i, std::int64_t j) { return i >= 3 && i < 5 && j >= 2 && j < 6; });
}

TEST(GridOperator, AppliesTheSparseMatrix) {
  const PoissonProblem p = with_obstacle();
  const GridOperator a(p);
  const torch::Tensor x = torch::randn({3, p.matrix.size}, torch::kFloat64);
  const torch::Tensor ax = a.to_unknowns(a.apply(a.to_grid(x)));
  for (std::int64_t b = 0; b < 3; ++b) {
    const std::vector<double> row(x[b].data_ptr<double>(), x[b].data_ptr<double>() + p.matrix.size);
    const std::vector<double> expected = p.matrix.multiply(row);
    for (std::int64_t i = 0; i < p.matrix.size; ++i) EXPECT_NEAR(ax[b][i].item<double>(), expected[static_cast<std::size_t>(i)], 1e-12);
  }
  EXPECT_TRUE(torch::equal(a.to_unknowns(a.to_grid(x)), x));
}

TEST(ScaleInvariantLoss, VanishesAtTheSolutionAndIgnoresScale) {
  const PoissonProblem p = with_obstacle();
  const GridOperator a(p);
  const std::vector<double> rhs(static_cast<std::size_t>(p.matrix.size), 1.0);
  const std::vector<double> solution = conjugate_gradient(p.matrix, rhs, 1e-14, 1000).x;
  const torch::Tensor b = a.to_grid(torch::tensor(rhs, torch::kFloat64).unsqueeze(0));
  const torch::Tensor exact = a.to_grid(torch::tensor(solution, torch::kFloat64).unsqueeze(0));
  EXPECT_LT(scale_invariant_loss(a, b, exact).item<double>(), 1e-20);
  EXPECT_LT(scale_invariant_loss(a, b, -3.0 * exact).item<double>(), 1e-20);
  const torch::Tensor q = torch::randn_like(b) * a.to_grid(torch::ones({1, p.matrix.size}, torch::kFloat64));
  EXPECT_NEAR(scale_invariant_loss(a, b, q).item<double>(), scale_invariant_loss(a, b, 7.0 * q).item<double>(), 1e-10);
  EXPECT_GT(scale_invariant_loss(a, b, q).item<double>(), 1e-3);
}

TEST(DirectionNetwork, EveryDcdmStepLowersTheEnergyError) {
  torch::manual_seed(1);
  const PoissonProblem p = with_obstacle();
  const GridOperator a(p);
  DirectionNetwork network(4, 1);
  network->to(torch::kFloat64);
  EXPECT_EQ(network->forward(torch::zeros({2, 1, 8, 8}, torch::kFloat64)).sizes(), (std::vector<std::int64_t>{2, 1, 8, 8}));
  // Even untrained, each step is the exact line minimum of the A-norm error along its direction, so
  // the solve makes progress (no guarantee of convergence: only the last two directions are kept).
  const std::vector<double> b(static_cast<std::size_t>(p.matrix.size), 1.0);
  const SolveHistory h = deep_conjugate_directions(p.matrix, b, as_direction_model(network, a), 1e-6, 50);
  const std::vector<double> solution = conjugate_gradient(p.matrix, b, 1e-14, 1000).x;
  const auto energy_error = [&](const std::vector<double>& x) {
    std::vector<double> e(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) e[i] = solution[i] - x[i];
    return dot(e, p.matrix.multiply(e));
  };
  EXPECT_LT(energy_error(h.x), energy_error(std::vector<double>(b.size(), 0.0)));
}

}  // namespace
}  // namespace descent::linsolve
