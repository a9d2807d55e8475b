#include "descent/tune/gaussian_process.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "descent/core/rng.hpp"
#include "descent/tune/maximize.hpp"

namespace descent::tune {
namespace {

constexpr double kSqrt5 = 2.23606797749979;
// Box for theta: length scales in [0.01, 20] of the unit cube, s^2 in [0.01, 100], lambda^2 in
// [1e-8, 1] of the standardized output variance, mu0 in [-3, 3] standard deviations.
constexpr double kLogLengthLow = -4.605170185988091, kLogLengthHigh = 2.995732273553991;

// A Cholesky factorization of `matrix`, adding jitter * I (growing tenfold from 1e-10 of the mean
// diagonal) only when needed. Returns the jitter used.
double factorize(const Eigen::MatrixXd& matrix, Eigen::LLT<Eigen::MatrixXd>& llt) {
  llt.compute(matrix);
  if (llt.info() == Eigen::Success) return 0.0;
  const double scale = matrix.diagonal().mean();
  for (double jitter = 1e-10 * scale; jitter < scale; jitter *= 10) {
    llt.compute(matrix + jitter * Eigen::MatrixXd::Identity(matrix.rows(), matrix.cols()));
    if (llt.info() == Eigen::Success) return jitter;
  }
  throw std::runtime_error("Gaussian process: covariance matrix is not positive definite even with jitter");
}

}  // namespace

GaussianProcess::GaussianProcess(Kernel kernel, int dimension) : kernel_(kernel), dimension_(dimension) {
  theta_.assign(static_cast<std::size_t>(dimension), std::log(0.5));
  theta_.push_back(0.0);             // log s^2
  theta_.push_back(std::log(1e-3));  // log lambda^2
  theta_.push_back(0.0);             // mu0
}

void GaussianProcess::set_data(const std::vector<std::vector<double>>& x, const std::vector<double>& y) {
  const auto n = static_cast<Eigen::Index>(x.size());
  x_.resize(n, dimension_);
  y_.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int d = 0; d < dimension_; ++d) x_(i, d) = x[static_cast<std::size_t>(i)][static_cast<std::size_t>(d)];
  }
  double mean = 0.0;
  for (const double v : y) mean += v;
  mean /= std::max<double>(1.0, static_cast<double>(y.size()));
  double variance = 0.0;
  for (const double v : y) variance += (v - mean) * (v - mean);
  variance /= std::max<double>(1.0, static_cast<double>(y.size()));
  y_mean_ = mean;
  y_scale_ = variance > 0 ? std::sqrt(variance) : 1.0;
  for (Eigen::Index i = 0; i < n; ++i) y_(i) = (y[static_cast<std::size_t>(i)] - y_mean_) / y_scale_;
  pair_squared_differences_.resize(n * (n - 1) / 2, dimension_);
  Eigen::Index pair = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = j + 1; i < n; ++i, ++pair) pair_squared_differences_.row(pair) = (x_.row(i) - x_.row(j)).array().square();
  }
  condition();
}

double GaussianProcess::correlation(const double* a, const double* b, const double* inverse_lengthscales) const {
  double r2 = 0.0;
  for (int d = 0; d < dimension_; ++d) {
    const double z = (a[d] - b[d]) * inverse_lengthscales[d];
    r2 += z * z;
  }
  if (kernel_ == Kernel::squared_exponential) return std::exp(-0.5 * r2);
  const double r = std::sqrt(r2);
  return (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * std::exp(-kSqrt5 * r);
}

double GaussianProcess::log_marginal_likelihood(const std::vector<double>& theta, std::vector<double>* gradient) const {
  const Eigen::Index n = x_.rows();
  const int D = dimension_;
  Eigen::VectorXd inverse_squared(D);  // 1 / l_d^2
  for (int d = 0; d < D; ++d) inverse_squared(d) = std::exp(-2.0 * theta[static_cast<std::size_t>(d)]);
  const double signal = std::exp(theta[static_cast<std::size_t>(D)]), noise = std::exp(theta[static_cast<std::size_t>(D) + 1]);
  const double mu0 = theta[static_cast<std::size_t>(D) + 2];
  // One pass over the pairs (i > j, column by column), in the order of pair_squared_differences_: the covariance, and
  // g(r) with dk/dlog l_d = s^2 g(r) z_d^2 (g = 5/3 (1 + sqrt5 r) e^{-sqrt5 r} for Matern, e^{-r^2/2} for SE).
  const Eigen::VectorXd r2_all = pair_squared_differences_ * inverse_squared;
  Eigen::VectorXd slopes(r2_all.size());
  Eigen::MatrixXd covariance(n, n);  // K + lambda^2 I, built in place: no n x n temporaries
  Eigen::Index pair = 0;
  for (Eigen::Index j = 0; j < n; ++j) {  // column by column: contiguous in Eigen's layout
    covariance(j, j) = signal + noise;
    for (Eigen::Index i = j + 1; i < n; ++i, ++pair) {
      const double r2 = r2_all(pair);
      double value;
      if (kernel_ == Kernel::squared_exponential) {
        value = std::exp(-0.5 * r2);
        slopes(pair) = value;
      } else {
        const double r = std::sqrt(r2), e = std::exp(-kSqrt5 * r);
        value = (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * e;
        slopes(pair) = 5.0 / 3.0 * (1.0 + kSqrt5 * r) * e;
      }
      covariance(i, j) = covariance(j, i) = signal * value;
    }
  }
  Eigen::LLT<Eigen::MatrixXd> llt;
  factorize(covariance, llt);  // LLT keeps its own copy: covariance stays K + lambda^2 I
  const Eigen::VectorXd residual = y_.array() - mu0;
  const Eigen::VectorXd alpha = llt.solve(residual);
  const double log_det = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  const double value = -0.5 * residual.dot(alpha) - 0.5 * log_det - 0.5 * static_cast<double>(n) * std::log(2 * std::numbers::pi);
  if (!gradient) return value;
  // d/dtheta = 1/2 tr(W dK/dtheta) with W = alpha alpha' - K^{-1}, formed in place.
  Eigen::MatrixXd w = Eigen::MatrixXd::Identity(n, n);
  llt.solveInPlace(w);
  w *= -1.0;
  w.noalias() += alpha * alpha.transpose();
  Eigen::VectorXd weights(r2_all.size());  // both (i, j) and (j, i): the 1/2 cancels
  double signal_gradient = 0.5 * signal * w.trace();
  pair = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = j + 1; i < n; ++i, ++pair) {
      weights(pair) = w(i, j) * signal * slopes(pair);
      signal_gradient += w(i, j) * covariance(i, j);  // dK/dlog s^2 = K
    }
  }
  const Eigen::VectorXd per_dimension = pair_squared_differences_.transpose() * weights;
  gradient->assign(theta.size(), 0.0);
  for (int d = 0; d < D; ++d) (*gradient)[static_cast<std::size_t>(d)] = per_dimension(d) * inverse_squared(d);
  (*gradient)[static_cast<std::size_t>(D)] = signal_gradient;
  (*gradient)[static_cast<std::size_t>(D) + 1] = 0.5 * noise * w.trace();
  (*gradient)[static_cast<std::size_t>(D) + 2] = alpha.sum();
  return value;
}

void GaussianProcess::fit(std::uint64_t seed, int starts) {
  if (x_.rows() < 2) return;
  const auto p = static_cast<std::size_t>(parameter_count());
  std::vector<double> lower(p), upper(p);
  for (int d = 0; d < dimension_; ++d) lower[static_cast<std::size_t>(d)] = kLogLengthLow, upper[static_cast<std::size_t>(d)] = kLogLengthHigh;
  lower[p - 3] = std::log(1e-2), upper[p - 3] = std::log(1e2);
  lower[p - 2] = std::log(1e-8), upper[p - 2] = 0.0;
  lower[p - 1] = -3.0, upper[p - 1] = 3.0;
  const Objective objective = [this](const std::vector<double>& theta, std::vector<double>& gradient) {
    try {
      return log_marginal_likelihood(theta, &gradient);
    } catch (const std::runtime_error&) {
      return -std::numeric_limits<double>::infinity();
    }
  };
  const auto value_only = [this](const std::vector<double>& theta) {
    try {
      return log_marginal_likelihood(theta, nullptr);  // a Cholesky factorization, no O(n^3) inverse
    } catch (const std::runtime_error&) {
      return -std::numeric_limits<double>::infinity();
    }
  };
  // Multi-start: the current hyperparameters, then the best of 16 random ones per further start,
  // screened by the likelihood alone; L-BFGS climbs from each.
  Rng rng = Rng::derived(seed, 0x6f17);
  std::vector<std::vector<double>> starts_from = {theta_};
  for (int s = 1; s < starts; ++s) {
    std::vector<double> best_candidate;
    double best_candidate_value = -std::numeric_limits<double>::infinity();
    for (int candidate = 0; candidate < 16; ++candidate) {
      std::vector<double> theta(p);
      for (std::size_t i = 0; i < p; ++i) theta[i] = lower[i] + rng.uniform() * (upper[i] - lower[i]);
      theta[p - 1] = 0.0;
      theta[p - 2] = std::log(1e-3) + rng.uniform() * 4.0;
      const double v = value_only(theta);
      if (best_candidate.empty() || v > best_candidate_value) best_candidate_value = v, best_candidate = theta;
    }
    starts_from.push_back(best_candidate);
  }
  std::vector<double> best = theta_;
  double best_value = value_only(best);
  for (const auto& start : starts_from) {
    const MaximizeResult result = maximize_in_box(objective, start, lower, upper, 50, 1e-6);
    if (result.value > best_value) best_value = result.value, best = result.x;
  }
  theta_ = best;
  condition();
}

void GaussianProcess::set_hyperparameters(const std::vector<double>& theta) {
  theta_ = theta;
  condition();
}

void GaussianProcess::condition() {
  const Eigen::Index n = x_.rows();
  if (n == 0) return;
  std::vector<double> inverse(static_cast<std::size_t>(dimension_));
  for (int d = 0; d < dimension_; ++d) inverse[static_cast<std::size_t>(d)] = std::exp(-theta_[static_cast<std::size_t>(d)]);
  const double signal = std::exp(theta_[static_cast<std::size_t>(dimension_)]);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x = x_;
  Eigen::MatrixXd covariance(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j <= i; ++j) {
      covariance(i, j) = covariance(j, i) = signal * correlation(x.row(i).data(), x.row(j).data(), inverse.data());
    }
  }
  covariance.diagonal().array() += std::exp(theta_[static_cast<std::size_t>(dimension_) + 1]);
  jitter_ = factorize(covariance, cholesky_);
  alpha_ = cholesky_.solve((y_.array() - theta_[static_cast<std::size_t>(dimension_) + 2]).matrix());
}

Eigen::VectorXd GaussianProcess::cross_covariance(const std::vector<double>& x, Eigen::MatrixXd* gradient) const {
  const Eigen::Index n = x_.rows();
  const int D = dimension_;
  std::vector<double> inverse(static_cast<std::size_t>(D));
  for (int d = 0; d < D; ++d) inverse[static_cast<std::size_t>(d)] = std::exp(-theta_[static_cast<std::size_t>(d)]);
  const double signal = std::exp(theta_[static_cast<std::size_t>(D)]);
  Eigen::VectorXd k(n);
  if (gradient) gradient->resize(n, D);
  for (Eigen::Index i = 0; i < n; ++i) {
    double r2 = 0.0;
    for (int d = 0; d < D; ++d) {
      const double z = (x[static_cast<std::size_t>(d)] - x_(i, d)) * inverse[static_cast<std::size_t>(d)];
      r2 += z * z;
    }
    const double r = std::sqrt(r2);
    double value, slope;  // k and -(dk/dr)/r, so that dk/dx_d = -slope * (x_d - X_id) / l_d^2
    if (kernel_ == Kernel::squared_exponential) {
      value = std::exp(-0.5 * r2);
      slope = value;
    } else {
      const double e = std::exp(-kSqrt5 * r);
      value = (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * e;
      slope = 5.0 / 3.0 * (1.0 + kSqrt5 * r) * e;
    }
    k(i) = signal * value;
    if (gradient) {
      for (int d = 0; d < D; ++d) {
        const double il = inverse[static_cast<std::size_t>(d)];
        (*gradient)(i, d) = -signal * slope * (x[static_cast<std::size_t>(d)] - x_(i, d)) * il * il;
      }
    }
  }
  return k;
}

Prediction GaussianProcess::predict(const std::vector<double>& x) const {
  const Eigen::Index n = x_.rows();
  const double signal = std::exp(theta_[static_cast<std::size_t>(dimension_)]);
  if (n == 0) return {prior_mean(), signal * y_scale_ * y_scale_};
  const Eigen::VectorXd k = cross_covariance(x, nullptr);
  const Eigen::VectorXd v = cholesky_.matrixL().solve(k);
  const double mean = theta_[static_cast<std::size_t>(dimension_) + 2] + k.dot(alpha_);
  const double variance = std::max(0.0, signal - v.squaredNorm());
  return {y_mean_ + y_scale_ * mean, y_scale_ * y_scale_ * variance};
}

Prediction GaussianProcess::predict(const std::vector<double>& x, std::vector<double>& mean_gradient,
                                    std::vector<double>& variance_gradient) const {
  const double signal = std::exp(theta_[static_cast<std::size_t>(dimension_)]);
  mean_gradient.assign(static_cast<std::size_t>(dimension_), 0.0);
  variance_gradient.assign(static_cast<std::size_t>(dimension_), 0.0);
  if (x_.rows() == 0) return {prior_mean(), signal * y_scale_ * y_scale_};
  Eigen::MatrixXd dk;
  const Eigen::VectorXd k = cross_covariance(x, &dk);
  const Eigen::VectorXd v = cholesky_.matrixL().solve(k);
  const Eigen::VectorXd u = cholesky_.matrixL().transpose().solve(v);  // K^{-1} k
  const double mean = theta_[static_cast<std::size_t>(dimension_) + 2] + k.dot(alpha_);
  const double variance = std::max(0.0, signal - v.squaredNorm());
  for (int d = 0; d < dimension_; ++d) {
    mean_gradient[static_cast<std::size_t>(d)] = y_scale_ * dk.col(d).dot(alpha_);
    variance_gradient[static_cast<std::size_t>(d)] = -2.0 * y_scale_ * y_scale_ * dk.col(d).dot(u);
  }
  return {y_mean_ + y_scale_ * mean, y_scale_ * y_scale_ * variance};
}

double GaussianProcess::posterior_covariance(const std::vector<double>& a, const std::vector<double>& b) const {
  const double prior = prior_covariance(a, b);
  if (x_.rows() == 0) return prior;
  const Eigen::VectorXd va = cholesky_.matrixL().solve(cross_covariance(a, nullptr));
  const Eigen::VectorXd vb = cholesky_.matrixL().solve(cross_covariance(b, nullptr));
  return prior - y_scale_ * y_scale_ * va.dot(vb);
}

GaussianProcess::PointSet GaussianProcess::prepare(std::vector<std::vector<double>> points) const {
  PointSet set;
  set.whitened.resize(x_.rows(), static_cast<Eigen::Index>(points.size()));
  for (std::size_t a = 0; a < points.size() && x_.rows() > 0; ++a) {
    set.whitened.col(static_cast<Eigen::Index>(a)) = cholesky_.matrixL().solve(cross_covariance(points[a], nullptr));
  }
  set.points = std::move(points);
  return set;
}

Eigen::VectorXd GaussianProcess::posterior_covariances(const std::vector<double>& x, const PointSet& set) const {
  Eigen::VectorXd out(static_cast<Eigen::Index>(set.points.size()));
  for (std::size_t a = 0; a < set.points.size(); ++a) out(static_cast<Eigen::Index>(a)) = prior_covariance(set.points[a], x);
  if (x_.rows() == 0) return out;
  const Eigen::VectorXd v = cholesky_.matrixL().solve(cross_covariance(x, nullptr));
  out.noalias() -= y_scale_ * y_scale_ * (set.whitened.transpose() * v);
  return out;
}

double GaussianProcess::prior_covariance(const std::vector<double>& a, const std::vector<double>& b) const {
  std::vector<double> inverse(static_cast<std::size_t>(dimension_));
  for (int d = 0; d < dimension_; ++d) inverse[static_cast<std::size_t>(d)] = std::exp(-theta_[static_cast<std::size_t>(d)]);
  return y_scale_ * y_scale_ * std::exp(theta_[static_cast<std::size_t>(dimension_)]) * correlation(a.data(), b.data(), inverse.data());
}

double GaussianProcess::noise_variance() const {
  return y_scale_ * y_scale_ * std::exp(theta_[static_cast<std::size_t>(dimension_) + 1]);
}

double GaussianProcess::prior_mean() const { return y_mean_ + y_scale_ * theta_[static_cast<std::size_t>(dimension_) + 2]; }

}  // namespace descent::tune
