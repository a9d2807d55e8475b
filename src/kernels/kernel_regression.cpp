#include "descent/kernels/kernel_regression.hpp"

#include <Eigen/Dense>
#include <fmt/format.h>

#include <cmath>

#include "descent/core/error.hpp"

namespace descent::kernels {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::Map<const RowMatrix> square(std::span<const double> gram, std::size_t n, const char* what) {
  if (n == 0 || gram.size() != n * n) throw ConfigError(fmt::format("{}: a Gram matrix of {} entries for {} points", what, gram.size(), n));
  return {gram.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n)};
}

Eigen::Map<const RowMatrix> rows_against(std::span<const double> test_train, std::size_t n, const char* what) {
  if (test_train.size() % n != 0) throw ConfigError(fmt::format("{}: {} test-train entries are not rows of {}", what, test_train.size(), n));
  return {test_train.data(), static_cast<Eigen::Index>(test_train.size() / n), static_cast<Eigen::Index>(n)};
}

std::vector<double> as_vector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

}  // namespace

std::vector<double> kernel_regression(std::span<const double> train_gram, std::span<const double> targets,
                                      std::span<const double> test_train, double ridge) {
  if (ridge < 0) throw ConfigError(fmt::format("kernel regression: ridge {} < 0", ridge));
  const std::size_t n = targets.size();
  const auto gram = square(train_gram, n, "kernel regression");
  const auto cross = rows_against(test_train, n, "kernel regression");
  const Eigen::Map<const Eigen::VectorXd> y(targets.data(), static_cast<Eigen::Index>(n));
  const RowMatrix regularized = gram + ridge * RowMatrix::Identity(gram.rows(), gram.cols());
  const Eigen::LLT<RowMatrix> cholesky(regularized);
  Eigen::VectorXd coefficients;
  if (cholesky.info() == Eigen::Success) {
    coefficients = cholesky.solve(y);
  } else {
    coefficients = regularized.completeOrthogonalDecomposition().solve(y);  // singular: the least-norm solution
  }
  return as_vector(cross * coefficients);
}

std::vector<double> ridgeless_kernel_classifier(std::span<const double> train_gram, std::span<const double> labels,
                                                std::span<const double> test_train) {
  std::vector<double> out = kernel_regression(train_gram, labels, test_train, 0.0);
  for (double& value : out) value = value > 0 ? 1.0 : (value < 0 ? -1.0 : 0.0);
  return out;
}

LinearizedPrediction linearized_gradient_descent(std::span<const double> train_gram, std::span<const double> initial_train,
                                                 std::span<const double> targets, std::span<const double> test_train,
                                                 std::span<const double> initial_test, double lr, std::int64_t steps) {
  const std::size_t n = targets.size();
  const auto gram = square(train_gram, n, "linearized gradient descent");
  const auto cross = rows_against(test_train, n, "linearized gradient descent");
  if (initial_train.size() != n || initial_test.size() != static_cast<std::size_t>(cross.rows())) {
    throw ConfigError(fmt::format("linearized gradient descent: {} initial training outputs for {} targets, {} test outputs for {} rows",
                                  initial_train.size(), n, initial_test.size(), cross.rows()));
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(Eigen::MatrixXd(gram).selfadjointView<Eigen::Lower>());
  const Eigen::MatrixXd& vectors = eigen.eigenvectors();
  const double c = lr / static_cast<double>(n);
  // Per eigenvalue lambda: the residual's decay (1 - c lambda)^T and the test map's
  // (1 - (1 - c lambda)^T) / lambda, whose limit as lambda -> 0 is c T.
  Eigen::VectorXd decay(n), learned(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double lambda = eigen.eigenvalues()(static_cast<Eigen::Index>(k));
    decay(k) = std::pow(1.0 - c * lambda, static_cast<double>(steps));
    learned(k) = std::abs(c * lambda) > 1e-12 ? (1.0 - decay(k)) / lambda : c * static_cast<double>(steps);
  }
  const Eigen::Map<const Eigen::VectorXd> f0(initial_train.data(), static_cast<Eigen::Index>(n)), y(targets.data(), static_cast<Eigen::Index>(n));
  const Eigen::VectorXd residual = vectors.transpose() * (f0 - y);
  const Eigen::VectorXd train = y + vectors * decay.cwiseProduct(residual);
  const Eigen::VectorXd test = Eigen::Map<const Eigen::VectorXd>(initial_test.data(), cross.rows()) -
                               cross * (vectors * learned.cwiseProduct(residual));
  return {as_vector(train), as_vector(test)};
}

}  // namespace descent::kernels
