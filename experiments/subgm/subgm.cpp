#include "subgm.hpp"

#include <cmath>

#include "descent/core/rng.hpp"

namespace descent::repro::subgm {
namespace {

Matrix gaussian(int rows, int cols, Rng& rng) {
  Matrix m(rows, cols);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) m(i, j) = rng.normal();
  }
  return m;
}

Eigen::VectorXd measure(const Problem& problem, const Matrix& x) {
  Eigen::VectorXd values(static_cast<Eigen::Index>(problem.a.size()));
  for (std::size_t i = 0; i < problem.a.size(); ++i) values(static_cast<Eigen::Index>(i)) = problem.a[i].cwiseProduct(x).sum();
  return values;
}

}  // namespace

Problem make_problem(int d, int r, int m, double p, double outlier_scale, std::uint64_t seed) {
  Rng rng(seed);
  Problem problem;
  const Matrix u_star = gaussian(d, r, rng) / std::sqrt(static_cast<double>(d));
  problem.x_star = u_star * u_star.transpose();
  for (int i = 0; i < m; ++i) {
    const Matrix g = gaussian(d, d, rng);
    problem.a.push_back((g + g.transpose()) / 2.0);
  }
  problem.y = measure(problem, problem.x_star);
  const double scale = outlier_scale * problem.x_star.norm();
  for (int i = 0; i < m; ++i) {
    if (rng.uniform() < p) problem.y(i) += scale * rng.normal();
  }
  return problem;
}

double loss(const Problem& problem, const Matrix& u, bool least_squares) {
  const Eigen::VectorXd residual = measure(problem, u * u.transpose()) - problem.y;
  if (least_squares) return 0.5 * residual.squaredNorm() / static_cast<double>(residual.size());
  return residual.cwiseAbs().mean();
}

Matrix subgradient(const Problem& problem, const Matrix& u, bool least_squares) {
  const Eigen::VectorXd residual = measure(problem, u * u.transpose()) - problem.y;
  // sum_i w_i (A_i + A_i^T) U = 2 (sum_i w_i A_i) U for symmetric A_i.
  Matrix weighted = Matrix::Zero(u.rows(), u.rows());
  for (std::size_t i = 0; i < problem.a.size(); ++i) {
    const double r = residual(static_cast<Eigen::Index>(i));
    const double w = least_squares ? r : static_cast<double>((r > 0) - (r < 0));
    weighted += w * problem.a[i];
  }
  return 2.0 * weighted * u / static_cast<double>(problem.a.size());
}

double relative_error(const Problem& problem, const Matrix& u) {
  return (u * u.transpose() - problem.x_star).norm() / problem.x_star.norm();
}

int Run::iterations_to(double target) const {
  for (std::size_t t = 0; t < errors.size(); ++t) {
    if (errors[t] < target) return static_cast<int>(t + 1);
  }
  return -1;
}

Run solve(const Problem& problem, int rank, double alpha, double eta0, double rho, int iterations, std::uint64_t seed,
          bool least_squares) {
  Rng rng(seed);
  Matrix u = gaussian(static_cast<int>(problem.x_star.rows()), rank, rng);
  u *= alpha / u.norm();
  Run run;
  double eta = eta0;
  for (int t = 0; t < iterations; ++t) {
    u -= eta * subgradient(problem, u, least_squares);
    eta *= rho;
    run.errors.push_back(relative_error(problem, u));
    if (!std::isfinite(run.errors.back())) break;
  }
  return run;
}

}  // namespace descent::repro::subgm
