// Iterative solvers for symmetric positive definite systems A x = b, and the learned variant of
// Kaneda, Akar, Chen, Kala, Tew & Teran, "A Deep Conjugate Direction Method for Iteratively
// Solving Linear Systems" (ICML 2023; code ayano721/2023_DCDM, lib/conjugate_gradient.py):
// - conjugate gradients and Jacobi-preconditioned CG (Hestenes & Stiefel);
// - the deep conjugate direction method (DCDM): each search direction is a model's answer to the
//   normalized residual, A-orthogonalized against the previous two directions,
//     q = f(r / ||r||),  q <- q - sum_(p in last two) p (q.Ap) / (p.Ap),
//     alpha = (q.r) / (q.Aq),  x <- x + alpha q,  r = b - A x;
//   with f the identity it spans CG's Krylov directions (CG's A-orthogonality against older
//   directions is automatic), with f = A^-1 it converges in one step;
// - the Lanczos process (full reorthogonalization) and its Ritz vectors, the training right-hand
//   sides the paper uses;
// - the 5-point Poisson matrix on an n x n grid of unit spacing with Dirichlet walls, solid
//   obstacle cells taken out (Neumann faces towards them), as in a pressure projection. A fluid
//   region sealed off from every outer wall by obstacles makes the matrix singular.
// Free of LibTorch; the matrices are compressed sparse rows.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace descent::linsolve {

struct SparseMatrix {
  std::int64_t size = 0;
  std::vector<std::int64_t> row_start;  // size + 1 entries
  std::vector<std::int64_t> columns;
  std::vector<double> values;

  std::vector<double> multiply(const std::vector<double>& x) const;
  std::vector<double> diagonal() const;
};

struct PoissonProblem {
  SparseMatrix matrix;
  std::int64_t side = 0;
  std::vector<std::int64_t> unknown_of_cell;  // side * side entries: the unknown's index, or -1 in an obstacle
};

// solid(i, j) marks obstacle cells (row i, column j); nullptr: none. Throws ConfigError for
// side < 2 or a grid with no fluid cell.
PoissonProblem poisson_2d(std::int64_t side, const std::function<bool(std::int64_t i, std::int64_t j)>& solid = nullptr);

struct SolveHistory {
  std::vector<double> x;
  std::vector<double> residuals;  // ||b - A x_k|| / ||b|| from k = 0
  std::int64_t iterations = 0;
  bool converged = false;
};

// From x = 0 until ||r|| / ||b|| <= tolerance or max_iterations; `preconditioner` (applied to r)
// may be empty for plain CG.
SolveHistory conjugate_gradient(const SparseMatrix& a, const std::vector<double>& b, double tolerance, std::int64_t max_iterations,
                                const std::function<std::vector<double>(const std::vector<double>&)>& preconditioner = nullptr);

// z = r / diag(A), the Jacobi preconditioner of `a`.
std::function<std::vector<double>(const std::vector<double>&)> jacobi(const SparseMatrix& a);

using DirectionModel = std::function<std::vector<double>(const std::vector<double>& normalized_residual)>;

SolveHistory deep_conjugate_directions(const SparseMatrix& a, const std::vector<double>& b, const DirectionModel& model, double tolerance,
                                       std::int64_t max_iterations);

struct RitzPairs {
  std::vector<double> values;                // ascending
  std::vector<std::vector<double>> vectors;  // unit length, one per value
};

// `steps` Lanczos steps from `start` (normalized), fully reorthogonalized, and the Ritz pairs of
// the resulting tridiagonal matrix.
RitzPairs lanczos_ritz(const SparseMatrix& a, std::vector<double> start, std::int64_t steps);

double dot(const std::vector<double>& a, const std::vector<double>& b);
double norm(const std::vector<double>& a);

}  // namespace descent::linsolve
