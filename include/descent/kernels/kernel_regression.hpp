// Learning with a fixed kernel: kernel (ridge) regression, the ridgeless kernel classifier, and the
// prediction of a network trained by gradient descent on the mean squared error in its linearized
// (kernel) regime (Jacot et al. 2018, section 5; Lee et al., "Wide Neural Networks of Any Depth
// Evolve as Linear Models Under Gradient Descent", NeurIPS 2019). Free of LibTorch; matrices are
// row-major, n x n for a training Gram and m x n for test-against-train.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace descent::kernels {

// K_test (K_train + ridge I)^{-1} y. Ridge 0 interpolates (a Cholesky solve, or the least-squares
// solution when K_train is singular). Throws ConfigError on mismatched sizes or a negative ridge.
std::vector<double> kernel_regression(std::span<const double> train_gram, std::span<const double> targets,
                                      std::span<const double> test_train, double ridge = 0.0);

// sign of the ridgeless regression on labels +-1 (Radhakrishnan, Belkin & Uhler's classifier).
std::vector<double> ridgeless_kernel_classifier(std::span<const double> train_gram, std::span<const double> labels,
                                                std::span<const double> test_train);

// Gradient descent with rate lr on L = (1/2n) sum_i (f(x_i) - y_i)^2 in the linearized regime moves
// the training outputs as f_{t+1} = f_t - (lr/n) Theta (f_t - y): after `steps` steps
//   f_T = y + (I - (lr/n) Theta)^T (f_0 - y),
// and a test point as f_T(x) = f_0(x) + Theta(x, X) Theta^{-1} (I - (I - (lr/n) Theta)^T)(y - f_0)
// (by the eigendecomposition of Theta; Theta^{-1} (I - (I - c Theta)^T) stays finite as an
// eigenvalue goes to 0). `test_train` may be empty (training outputs only).
struct LinearizedPrediction {
  std::vector<double> train;  // f_T on the training points
  std::vector<double> test;   // f_T on the test points
};
LinearizedPrediction linearized_gradient_descent(std::span<const double> train_gram, std::span<const double> initial_train,
                                                 std::span<const double> targets, std::span<const double> test_train,
                                                 std::span<const double> initial_test, double lr, std::int64_t steps);

}  // namespace descent::kernels
