// The sub-gradient method for robust low-rank matrix recovery (Ma & Fattahi, "Global Convergence
// of Sub-gradient Method for Robust Matrix Recovery: Small Initialization, Noisy Measurements,
// and Over-parameterization", JMLR 2023):
//   measurements y_i = <A_i, X*> + s_i with X* = U* U*^T of rank r and sparse, large outliers s_i;
//   f(U) = (1/m) sum_i |y_i - <A_i, U U^T>| over U in R^{d x r'} (r' >= r: over-parameterized);
//   sub-gradient D(U) = (1/m) sum_i sign(<A_i, U U^T> - y_i) (A_i + A_i^T) U;
//   U_{t+1} = U_t - eta_0 rho^t D(U_t), from a small initialization U_0 = alpha B, ||B||_F = 1.
// The least-squares baseline replaces |.| by (.)^2 / 2.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace descent::repro::subgm {

using Matrix = Eigen::MatrixXd;

struct Problem {
  std::vector<Matrix> a;  // symmetric measurement matrices
  Eigen::VectorXd y;
  Matrix x_star;
};

// d x d symmetric Gaussian A_i (m of them), U* Gaussian d x r, a fraction p of the measurements
// replaced by outliers of scale `outlier_scale` x ||X*||_F.
Problem make_problem(int d, int r, int m, double p, double outlier_scale, std::uint64_t seed);

// f(U) for the l1 loss (or half the mean squared residual when `least_squares`).
double loss(const Problem& problem, const Matrix& u, bool least_squares = false);
// The sub-gradient D(U) above (the gradient for least squares).
Matrix subgradient(const Problem& problem, const Matrix& u, bool least_squares = false);

double relative_error(const Problem& problem, const Matrix& u);

struct Run {
  std::vector<double> errors;  // relative error after each iteration
  int iterations_to(double target) const;  // first iteration below target, or -1
};

Run solve(const Problem& problem, int rank, double alpha, double eta0, double rho, int iterations, std::uint64_t seed,
          bool least_squares = false);

}  // namespace descent::repro::subgm
