// The EF21 papers' test problem, scaled down: n clients, each with m samples of a logistic
// regression with the non-convex regularizer lambda sum_k x_k^2 / (1 + x_k^2),
//   f_i(x) = (1/m) sum_j log(1 + exp(-b_j a_j'x)) + lambda sum_k x_k^2 / (1 + x_k^2),  f = (1/n) sum_i f_i,
// with each client's features scaled so that its smoothness constant L_i = lambda_max(A_i'A_i)/(4m) + 2 lambda
// hits a chosen target: heterogeneous L_i are what separates EF21-W's step size from EF21's.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace descent::repro {

struct HeterogeneousLogisticSpec {
  int clients = 100;
  int dimension = 50;
  int samples = 20;      // per client
  double lambda = 0.1;
  double max_log10_smoothness = 3.0;  // L_i = 10^(max * (i / (n - 1))^power): 1 .. 10^max
  double power = 2.0;
};

class HeterogeneousLogistic {
public:
  HeterogeneousLogistic(const HeterogeneousLogisticSpec& spec, std::uint64_t seed);

  int clients() const { return static_cast<int>(features_.size()); }
  int dimension() const { return static_cast<int>(features_.front().cols()); }
  double loss(int client, const Eigen::VectorXd& x) const;
  Eigen::VectorXd gradient(int client, const Eigen::VectorXd& x) const;
  double loss(const Eigen::VectorXd& x) const;  // f = mean over clients

  const std::vector<double>& client_smoothness() const { return smoothness_; }  // L_i
  double smoothness() const { return global_smoothness_; }                     // L of f
  double arithmetic_mean_smoothness() const;                                    // L_AM
  double quadratic_mean_smoothness() const;                                     // L_QM
  double lambda() const { return lambda_; }

private:
  std::vector<Eigen::MatrixXd> features_;  // m x d per client
  std::vector<Eigen::VectorXd> labels_;    // +-1
  std::vector<double> smoothness_;
  double global_smoothness_ = 0.0;
  double lambda_;
};

}  // namespace descent::repro
