// Iterative solvers on the 2-D Poisson matrix: the stencil by hand, CG and Jacobi-PCG to tolerance,
// DCDM reproducing CG with the identity model and converging in one step with the exact inverse,
// and Lanczos Ritz values against the Dirichlet Laplacian's known spectrum.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/linsolve/conjugate_directions.hpp"

namespace descent::linsolve {
namespace {

std::vector<double> random_vector(std::int64_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = rng.normal();
  return v;
}

TEST(Poisson, StencilWithWallsAndAnObstacle) {
  // 3 x 3 with the centre solid: 8 unknowns, each corner has 2 walls and 2 fluid neighbours, each
  // edge cell 1 wall, 2 fluid neighbours and the solid centre (no flux).
  const PoissonProblem p = poisson_2d(3, [](std::int64_t i, std::int64_t j) { return i == 1 && j == 1; });
  ASSERT_EQ(p.matrix.size, 8);
  EXPECT_EQ(p.unknown_of_cell[4], -1);
  const std::vector<double> d = p.matrix.diagonal();
  EXPECT_EQ(d[static_cast<std::size_t>(p.unknown_of_cell[0])], 4.0);  // corner: 2 walls + 2 neighbours
  EXPECT_EQ(d[static_cast<std::size_t>(p.unknown_of_cell[1])], 3.0);  // edge: 1 wall + 2 neighbours
  // Symmetric.
  for (std::int64_t i = 0; i < p.matrix.size; ++i) {
    for (std::int64_t k = p.matrix.row_start[i]; k < p.matrix.row_start[i + 1]; ++k) {
      const std::int64_t j = p.matrix.columns[k];
      bool found = false;
      for (std::int64_t l = p.matrix.row_start[j]; l < p.matrix.row_start[j + 1]; ++l) {
        found = found || (p.matrix.columns[l] == i && p.matrix.values[l] == p.matrix.values[k]);
      }
      EXPECT_TRUE(found) << i << "," << j;
    }
  }
  EXPECT_THROW(poisson_2d(1), ConfigError);
  EXPECT_THROW(poisson_2d(3, [](std::int64_t, std::int64_t) { return true; }), ConfigError);
}

TEST(ConjugateGradient, SolvesToToleranceWithAndWithoutJacobi) {
  const PoissonProblem p = poisson_2d(16, [](std::int64_t i, std::int64_t j) { return i >= 5 && i < 9 && j >= 6 && j < 10; });
  const std::vector<double> b = random_vector(p.matrix.size, 1);
  for (const bool preconditioned : {false, true}) {
    const SolveHistory h = conjugate_gradient(p.matrix, b, 1e-10, 1000, preconditioned ? jacobi(p.matrix) : nullptr);
    EXPECT_TRUE(h.converged);
    std::vector<double> r = p.matrix.multiply(h.x);
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = b[i] - r[i];
    EXPECT_LT(norm(r) / norm(b), 1e-10);
    EXPECT_LT(h.iterations, p.matrix.size);
  }
  // b = 0 is solved by x = 0 at once (no 0/0).
  const SolveHistory zero = conjugate_gradient(p.matrix, std::vector<double>(b.size(), 0.0), 1e-10, 10);
  EXPECT_TRUE(zero.converged);
  EXPECT_EQ(zero.iterations, 0);
}

TEST(DeepConjugateDirections, IdentityModelIsConjugateGradients) {
  const PoissonProblem p = poisson_2d(16);
  const std::vector<double> b = random_vector(p.matrix.size, 2);
  const SolveHistory cg = conjugate_gradient(p.matrix, b, 0.0, 20);
  const SolveHistory dcdm = deep_conjugate_directions(p.matrix, b, [](const std::vector<double>& r) { return r; }, 0.0, 20);
  ASSERT_EQ(dcdm.residuals.size(), cg.residuals.size());
  for (std::size_t k = 0; k < cg.residuals.size(); ++k) EXPECT_NEAR(dcdm.residuals[k] / cg.residuals[k], 1.0, 1e-8) << k;  // the specs' (a)
}

TEST(DeepConjugateDirections, ExactInverseConvergesInOneStep) {
  const PoissonProblem p = poisson_2d(12);
  const std::vector<double> b = random_vector(p.matrix.size, 3);
  const DirectionModel inverse = [&](const std::vector<double>& r) { return conjugate_gradient(p.matrix, r, 1e-14, 10000).x; };
  const SolveHistory h = deep_conjugate_directions(p.matrix, b, inverse, 1e-10, 5);
  EXPECT_EQ(h.iterations, 1);  // the specs' (b)
  EXPECT_TRUE(h.converged);
}

// The Dirichlet Laplacian on an n x n grid has eigenvalues 4 - 2 cos(pi k / (n + 1)) - 2 cos(pi l / (n + 1)).
TEST(Lanczos, ExtremeRitzValuesMatchTheSpectrum) {
  const std::int64_t n = 16;
  const PoissonProblem p = poisson_2d(n);
  const RitzPairs ritz = lanczos_ritz(p.matrix, random_vector(p.matrix.size, 4), 120);
  const double lowest = 4 - 4 * std::cos(M_PI / (n + 1)), highest = 4 + 4 * std::cos(M_PI / (n + 1));
  EXPECT_NEAR(ritz.values.front(), lowest, 1e-8);
  EXPECT_NEAR(ritz.values.back(), highest, 1e-8);
  // The extreme Ritz vector is an eigenvector: ||A v - theta v|| small.
  std::vector<double> av = p.matrix.multiply(ritz.vectors.front());
  for (std::size_t i = 0; i < av.size(); ++i) av[i] -= ritz.values.front() * ritz.vectors.front()[i];
  EXPECT_LT(norm(av), 1e-6);
  EXPECT_NEAR(norm(ritz.vectors.back()), 1.0, 1e-12);
}

}  // namespace
}  // namespace descent::linsolve
