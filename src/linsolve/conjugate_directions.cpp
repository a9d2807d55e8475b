#include "descent/linsolve/conjugate_directions.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "descent/core/error.hpp"

namespace descent::linsolve {
namespace {

void axpy(double alpha, const std::vector<double>& x, std::vector<double>& y) {
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += alpha * x[i];
}

std::vector<double> residual(const SparseMatrix& a, const std::vector<double>& b, const std::vector<double>& x) {
  std::vector<double> r = a.multiply(x);
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = b[i] - r[i];
  return r;
}

// x = 0, so r = b; the history's first residual (1). Throws ConfigError on mismatched sizes.
SolveHistory start_from_zero(const SparseMatrix& a, const std::vector<double>& b) {
  if (static_cast<std::int64_t>(b.size()) != a.size) throw ConfigError(fmt::format("linear solve: a right-hand side of {} for a {} x {} matrix", b.size(), a.size, a.size));
  SolveHistory h;
  h.x.assign(b.size(), 0.0);
  h.residuals.push_back(norm(b) > 0.0 ? 1.0 : 0.0);  // b = 0: x = 0 solves it exactly
  return h;
}

}  // namespace

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double norm(const std::vector<double>& a) { return std::sqrt(dot(a, a)); }

std::vector<double> SparseMatrix::multiply(const std::vector<double>& x) const {
  std::vector<double> y(static_cast<std::size_t>(size), 0.0);
  for (std::int64_t i = 0; i < size; ++i) {
    double sum = 0.0;
    for (std::int64_t k = row_start[i]; k < row_start[i + 1]; ++k) sum += values[k] * x[columns[k]];
    y[i] = sum;
  }
  return y;
}

std::vector<double> SparseMatrix::diagonal() const {
  std::vector<double> d(static_cast<std::size_t>(size), 0.0);
  for (std::int64_t i = 0; i < size; ++i) {
    for (std::int64_t k = row_start[i]; k < row_start[i + 1]; ++k) {
      if (columns[k] == i) d[i] = values[k];
    }
  }
  return d;
}

PoissonProblem poisson_2d(std::int64_t side, const std::function<bool(std::int64_t, std::int64_t)>& solid) {
  if (side < 2) throw ConfigError(fmt::format("Poisson grid of side {} (at least 2)", side));
  PoissonProblem p;
  p.side = side;
  p.unknown_of_cell.assign(static_cast<std::size_t>(side * side), -1);
  std::int64_t unknowns = 0;
  for (std::int64_t i = 0; i < side; ++i) {
    for (std::int64_t j = 0; j < side; ++j) {
      if (!solid || !solid(i, j)) p.unknown_of_cell[i * side + j] = unknowns++;
    }
  }
  if (unknowns == 0) throw ConfigError("Poisson grid: every cell is solid");
  SparseMatrix& a = p.matrix;
  a.size = unknowns;
  a.row_start.push_back(0);
  const std::int64_t di[] = {-1, 1, 0, 0}, dj[] = {0, 0, -1, 1};
  for (std::int64_t i = 0; i < side; ++i) {
    for (std::int64_t j = 0; j < side; ++j) {
      const std::int64_t row = p.unknown_of_cell[i * side + j];
      if (row < 0) continue;
      double diagonal = 0.0;
      std::vector<std::pair<std::int64_t, double>> entries;
      for (int d = 0; d < 4; ++d) {
        const std::int64_t ni = i + di[d], nj = j + dj[d];
        if (ni < 0 || nj < 0 || ni >= side || nj >= side) {
          diagonal += 1.0;  // a Dirichlet wall (u = 0 beyond it)
          continue;
        }
        const std::int64_t neighbour = p.unknown_of_cell[ni * side + nj];
        if (neighbour < 0) continue;  // a solid face: no flux (Neumann)
        diagonal += 1.0;
        entries.emplace_back(neighbour, -1.0);
      }
      entries.emplace_back(row, diagonal);
      std::sort(entries.begin(), entries.end());
      for (const auto& [column, value] : entries) {
        a.columns.push_back(column);
        a.values.push_back(value);
      }
      a.row_start.push_back(static_cast<std::int64_t>(a.columns.size()));
    }
  }
  return p;
}

SolveHistory conjugate_gradient(const SparseMatrix& a, const std::vector<double>& b, double tolerance, std::int64_t max_iterations,
                                const std::function<std::vector<double>(const std::vector<double>&)>& preconditioner) {
  SolveHistory h = start_from_zero(a, b);
  std::vector<double> r = b;
  const double scale = norm(b);
  std::vector<double> z = preconditioner ? preconditioner(r) : r, p = z;
  double rz = dot(r, z);
  while (h.residuals.back() > tolerance && h.residuals.back() > 0.0 && h.iterations < max_iterations) {
    const std::vector<double> ap = a.multiply(p);
    const double alpha = rz / dot(p, ap);
    axpy(alpha, p, h.x);
    axpy(-alpha, ap, r);
    ++h.iterations;
    h.residuals.push_back(norm(r) / scale);
    z = preconditioner ? preconditioner(r) : r;
    const double next = dot(r, z);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = z[i] + (next / rz) * p[i];
    rz = next;
  }
  h.converged = h.residuals.back() <= tolerance;
  return h;
}

std::function<std::vector<double>(const std::vector<double>&)> jacobi(const SparseMatrix& a) {
  return [d = a.diagonal()](const std::vector<double>& r) {
    std::vector<double> z(r.size());
    for (std::size_t i = 0; i < r.size(); ++i) z[i] = r[i] / d[i];
    return z;
  };
}

SolveHistory deep_conjugate_directions(const SparseMatrix& a, const std::vector<double>& b, const DirectionModel& model, double tolerance,
                                       std::int64_t max_iterations) {
  SolveHistory h = start_from_zero(a, b);
  std::vector<double> r = b;
  const double scale = norm(b);
  std::vector<std::vector<double>> previous, previous_a;  // the last two directions and A times them
  while (h.residuals.back() > tolerance && h.residuals.back() > 0.0 && h.iterations < max_iterations) {
    std::vector<double> normalized = r;
    const double length = norm(r);
    for (double& v : normalized) v /= length;
    std::vector<double> q = model(normalized);
    for (std::size_t k = 0; k < previous.size(); ++k) axpy(-dot(q, previous_a[k]) / dot(previous[k], previous_a[k]), previous[k], q);
    const std::vector<double> aq = a.multiply(q);
    axpy(dot(q, r) / dot(q, aq), q, h.x);
    r = residual(a, b, h.x);  // recomputed, as the reference code does
    ++h.iterations;
    h.residuals.push_back(norm(r) / scale);
    previous.push_back(std::move(q));
    previous_a.push_back(aq);
    if (previous.size() > 2) {
      previous.erase(previous.begin());
      previous_a.erase(previous_a.begin());
    }
  }
  h.converged = h.residuals.back() <= tolerance;
  return h;
}

RitzPairs lanczos_ritz(const SparseMatrix& a, std::vector<double> start, std::int64_t steps) {
  if (steps < 1 || static_cast<std::int64_t>(start.size()) != a.size) {
    throw ConfigError(fmt::format("Lanczos: {} steps (positive) from a vector of {} for a matrix of {}", steps, start.size(), a.size));
  }
  steps = std::min(steps, a.size);
  std::vector<std::vector<double>> basis;
  std::vector<double> alphas, betas;
  const double length = norm(start);
  for (double& v : start) v /= length;
  basis.push_back(start);
  for (std::int64_t k = 0; k < steps; ++k) {
    std::vector<double> w = a.multiply(basis.back());
    alphas.push_back(dot(w, basis.back()));
    // Full reorthogonalization (twice is enough): keeps the basis orthonormal in floating point.
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& v : basis) axpy(-dot(w, v), v, w);
    }
    const double beta = norm(w);
    if (k + 1 == steps || beta < 1e-12) break;
    betas.push_back(beta);
    for (double& v : w) v /= beta;
    basis.push_back(std::move(w));
  }
  const auto m = static_cast<Eigen::Index>(alphas.size());
  Eigen::MatrixXd t = Eigen::MatrixXd::Zero(m, m);
  for (Eigen::Index i = 0; i < m; ++i) {
    t(i, i) = alphas[static_cast<std::size_t>(i)];
    if (i + 1 < m) t(i, i + 1) = t(i + 1, i) = betas[static_cast<std::size_t>(i)];
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(t);
  RitzPairs pairs;
  for (Eigen::Index j = 0; j < m; ++j) {
    pairs.values.push_back(eigen.eigenvalues()(j));
    std::vector<double> vector(start.size(), 0.0);
    for (Eigen::Index i = 0; i < m; ++i) axpy(eigen.eigenvectors()(i, j), basis[static_cast<std::size_t>(i)], vector);
    const double l = norm(vector);
    for (double& v : vector) v /= l;
    pairs.vectors.push_back(std::move(vector));
  }
  return pairs;
}

}  // namespace descent::linsolve
