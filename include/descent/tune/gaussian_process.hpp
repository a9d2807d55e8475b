// Gaussian-process regression for Bayesian optimization (Frazier, "A Tutorial on Bayesian
// Optimization", 2018): constant mean mu0, a Matern-5/2 or squared-exponential kernel with one
// length scale per input (automatic relevance determination), signal variance s^2 and observation
// noise lambda^2:
//   mu_n(x)      = mu0 + k(x, X) [K + lambda^2 I]^{-1} (y - mu0)
//   sigma_n^2(x) = s^2 - k(x, X) [K + lambda^2 I]^{-1} k(X, x)
// Inputs live in the unit cube (SearchSpace::encode); outputs are standardized before fitting and
// predictions are returned in the original units. Hyperparameters maximize the log marginal
// likelihood (analytic gradient, multi-start L-BFGS in a box); the Cholesky factorization adds
// jitter, growing tenfold, only when the matrix is not numerically positive definite.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "descent/tune/kinds.hpp"

namespace descent::tune {


struct Prediction {
  double mean = 0.0;
  double variance = 0.0;
};

class GaussianProcess {
public:
  GaussianProcess(Kernel kernel, int dimension);

  // Observations: x in [0, 1]^D, y in any units (standardized inside).
  void set_data(const std::vector<std::vector<double>>& x, const std::vector<double>& y);
  // Fits the hyperparameters from `starts` starting points (the current ones first), then conditions.
  void fit(std::uint64_t seed, int starts = 4);

  // theta = (log l_1..l_D, log s^2, log lambda^2, mu0), on standardized outputs.
  std::vector<double> hyperparameters() const { return theta_; }
  void set_hyperparameters(const std::vector<double>& theta);  // and conditions on the data
  int parameter_count() const { return dimension_ + 3; }
  // log p(y | X, theta) of the standardized outputs, and its gradient.
  double log_marginal_likelihood(const std::vector<double>& theta, std::vector<double>* gradient) const;

  Prediction predict(const std::vector<double>& x) const;
  // The same with d mean / dx and d variance / dx.
  Prediction predict(const std::vector<double>& x, std::vector<double>& mean_gradient, std::vector<double>& variance_gradient) const;
  // Posterior covariance of f(a) and f(b).
  double posterior_covariance(const std::vector<double>& a, const std::vector<double>& b) const;
  // A fixed set of points prepared for many posterior_covariances() calls: L^{-1} k(X, a) per point.
  struct PointSet {
    std::vector<std::vector<double>> points;
    Eigen::MatrixXd whitened;  // n x m
  };
  PointSet prepare(std::vector<std::vector<double>> points) const;
  // Posterior covariances of f(x) with f(a) for every a of the set: O(n^2 + n m) instead of O(n^2 m).
  Eigen::VectorXd posterior_covariances(const std::vector<double>& x, const PointSet& set) const;
  // Prior covariance s^2 k(a, b), in original units.
  double prior_covariance(const std::vector<double>& a, const std::vector<double>& b) const;
  double noise_variance() const;  // lambda^2 in original units
  double prior_mean() const;      // mu0 in original units
  std::size_t observations() const { return static_cast<std::size_t>(x_.rows()); }
  double jitter() const { return jitter_; }

private:
  double correlation(const double* a, const double* b, const double* inverse_lengthscales) const;
  void condition();
  // The covariances s^2 k(x, X) (standardized units) and their x-derivatives when asked.
  Eigen::VectorXd cross_covariance(const std::vector<double>& x, Eigen::MatrixXd* gradient) const;

  Kernel kernel_;
  int dimension_;
  std::vector<double> theta_;
  Eigen::MatrixXd x_;  // n x D
  Eigen::VectorXd y_;  // standardized
  Eigen::MatrixXd pair_squared_differences_;  // (x_i - x_j)^2 per dimension, pairs i > j, column by column
  double y_mean_ = 0.0, y_scale_ = 1.0;
  Eigen::LLT<Eigen::MatrixXd> cholesky_;
  Eigen::VectorXd alpha_;  // [K + lambda^2 I]^{-1} (y - mu0)
  double jitter_ = 0.0;
};

}  // namespace descent::tune
