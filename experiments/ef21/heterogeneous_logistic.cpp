#include "heterogeneous_logistic.hpp"

#include <cmath>

#include "descent/core/rng.hpp"

namespace descent::repro {
namespace {

double top_eigenvalue(const Eigen::MatrixXd& symmetric) {
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(symmetric, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
}

// log(1 + exp(z)) without overflow.
double softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }
double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

}  // namespace

HeterogeneousLogistic::HeterogeneousLogistic(const HeterogeneousLogisticSpec& spec, std::uint64_t seed) : lambda_(spec.lambda) {
  Rng rng(seed);
  const int d = spec.dimension, m = spec.samples;
  Eigen::VectorXd truth(d);
  for (int k = 0; k < d; ++k) truth(k) = rng.normal();
  Eigen::MatrixXd curvature = Eigen::MatrixXd::Zero(d, d);  // (1/n) sum_i A_i'A_i / (4m)
  for (int i = 0; i < spec.clients; ++i) {
    Eigen::MatrixXd a(m, d);
    Eigen::VectorXd b(m);
    for (int j = 0; j < m; ++j) {
      for (int k = 0; k < d; ++k) a(j, k) = rng.normal();
      // Noisy labels (probability sigmoid(a'x_true / sqrt(d))): the logistic loss keeps a finite minimizer.
      b(j) = rng.uniform() < sigmoid(a.row(j).dot(truth) / std::sqrt(static_cast<double>(d))) ? 1.0 : -1.0;
    }
    const double position = spec.clients > 1 ? static_cast<double>(i) / (spec.clients - 1) : 0.0;
    const double target = std::pow(10.0, spec.max_log10_smoothness * std::pow(position, spec.power));
    const double base = top_eigenvalue(a.transpose() * a) / (4.0 * m);
    a *= std::sqrt((target - 2.0 * lambda_) / base);
    smoothness_.push_back(top_eigenvalue(a.transpose() * a) / (4.0 * m) + 2.0 * lambda_);
    curvature += a.transpose() * a / (4.0 * m * spec.clients);
    features_.push_back(std::move(a));
    labels_.push_back(std::move(b));
  }
  global_smoothness_ = top_eigenvalue(curvature) + 2.0 * lambda_;
}

double HeterogeneousLogistic::loss(int client, const Eigen::VectorXd& x) const {
  const Eigen::VectorXd margins = labels_[static_cast<std::size_t>(client)].cwiseProduct(features_[static_cast<std::size_t>(client)] * x);
  double sum = 0.0;
  for (int j = 0; j < margins.size(); ++j) sum += softplus(-margins(j));
  double regularizer = 0.0;
  for (int k = 0; k < x.size(); ++k) regularizer += x(k) * x(k) / (1.0 + x(k) * x(k));
  return sum / static_cast<double>(margins.size()) + lambda_ * regularizer;
}

Eigen::VectorXd HeterogeneousLogistic::gradient(int client, const Eigen::VectorXd& x) const {
  const auto& a = features_[static_cast<std::size_t>(client)];
  const auto& b = labels_[static_cast<std::size_t>(client)];
  const Eigen::VectorXd margins = b.cwiseProduct(a * x);
  Eigen::VectorXd weights(margins.size());
  for (int j = 0; j < margins.size(); ++j) weights(j) = -b(j) * sigmoid(-margins(j));
  Eigen::VectorXd g = a.transpose() * weights / static_cast<double>(margins.size());
  for (int k = 0; k < x.size(); ++k) {
    const double q = 1.0 + x(k) * x(k);
    g(k) += lambda_ * 2.0 * x(k) / (q * q);
  }
  return g;
}

double HeterogeneousLogistic::loss(const Eigen::VectorXd& x) const {
  double sum = 0.0;
  for (int i = 0; i < clients(); ++i) sum += loss(i, x);
  return sum / clients();
}

double HeterogeneousLogistic::arithmetic_mean_smoothness() const {
  double sum = 0.0;
  for (const double l : smoothness_) sum += l;
  return sum / static_cast<double>(smoothness_.size());
}

double HeterogeneousLogistic::quadratic_mean_smoothness() const {
  double sum = 0.0;
  for (const double l : smoothness_) sum += l * l;
  return std::sqrt(sum / static_cast<double>(smoothness_.size()));
}

}  // namespace descent::repro
