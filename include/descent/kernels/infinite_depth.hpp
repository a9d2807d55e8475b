// Infinitely wide networks taken infinitely deep (Radhakrishnan, Belkin & Uhler, "Wide and Deep
// Neural Networks Achieve Consistency for Classification", PNAS 2023; arXiv 2204.14126, first
// titled "... Achieve Optimality for Classification"), in the form of their code
// (uhlerlab/inf_depth_ntks, models.py). Inputs lie on the unit sphere; an activation phi is
// normalized (E[phi(z)^2] = 1 for z ~ N(0, 1), no bias), so its dual psi(rho) = E[phi(u) phi(v)] at
// correlation rho maps [-1, 1] into itself with psi(1) = 1. With phi = sum_k a_k h_k in the
// orthonormal Hermite basis, psi(rho) = sum_k a_k^2 rho^k. Depth L:
//   NNGP: rho^(0) = x.z,  rho^(l+1) = psi(rho^(l));
//   NTK:  K^(0) = rho^(0), K^(l+1) = psi(rho^(l)) + K^(l) psi'(rho^(l)).
// As L grows the ridgeless classifier sign(y^T K(X, X)^-1 K(X, x)) tends to one of three rules
// (the abstract's taxonomy), read here from psi (the paper's theorems could not be read; these
// conditions are the ones its code's examples fall into, with the reasoning):
//   - psi'(1) = 1 (ReLU): every correlation tends to 1 and the kernel to a constant: majority vote;
//   - psi'(0) = a_1^2 = 0 (psi = rho^k): correlations below 1 vanish like rho^(k^L), so the largest
//     one, the nearest training point, decides: 1-nearest neighbour;
//   - psi'(1) > 1 and 0 < psi'(0) < 1: near rho = 1, 1 - rho grows by psi'(1) per layer; near 0, rho
//     shrinks by psi'(0); a point at distance r = ||x - z|| = sqrt(2 - 2 rho) ends near
//     r^(-alpha) psi'(0)^L with alpha = 2 ln(1 / psi'(0)) / ln psi'(1): the singular kernel
//     classifier sign(sum_i y_i ||x - x_i||^(-alpha)). alpha = d - 1 on the sphere S^(d-1) in R^d
//     is the Hilbert kernel estimate, consistent (Devroye et al.); the code's "3d_opt",
//     psi = rho^3/2 + rho/2, gives alpha = 2 ln 2 / ln 2 = 2 for d = 3.
// Free of LibTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace descent::kernels {

struct NormalizedDual {
  std::string name;
  std::function<double(double)> value, derivative;  // psi and psi' on [-1, 1]
  std::vector<double> polynomial{};                  // psi's coefficients when psi is a polynomial (hermite_dual), else empty
};

// psi(rho) = sum_k coefficients[k] rho^k: an activation with squared Hermite coefficients
// a_k^2 = coefficients[k]. Throws ConfigError unless they are non-negative and sum to 1.
NormalizedDual hermite_dual(std::vector<double> coefficients, std::string name = "hermite");

// sqrt(2) ReLU: psi(rho) = (sqrt(1 - rho^2) + (pi - arccos rho) rho) / pi, psi'(rho) = (pi - arccos rho) / pi.
NormalizedDual relu_normalized_dual();

// sin(sqrt(a) z) normalized: psi(rho) = sinh(a rho) / sinh(a).
NormalizedDual sine_normalized_dual(double a);

// By name: relu, sine_<a>, hermite_<k> (rho^k), and the code's "<d>d_opt" polynomials 2d_opt
// (rho^7/2 + rho/2), 3d_opt (rho^3/2 + rho/2), 5d_opt (rho^3/4 + rho^2/2 + rho/4). ConfigError otherwise.
NormalizedDual normalized_dual(const std::string& name);

enum class DeepLimit { majority_vote, nearest_neighbour, singular_kernel, none };

struct DeepLimitRule {
  DeepLimit limit = DeepLimit::none;
  double exponent = 0.0;  // singular_kernel: alpha
};

// Which rule psi's classifier tends to as depth grows (the conditions in the header comment).
DeepLimitRule deep_limit(const NormalizedDual& dual);

struct DeepKernels {
  std::vector<double> nngp, ntk;  // row-major rows x columns
};

// The depth-L kernels between the rows of `a` (rows x dimension) and of `b`, both on the unit
// sphere (their dot products are clipped to [-1, 1], as the reference code does). When `a` and
// `b` are the same span, the diagonal's rho is exactly 1. Throws ConfigError for depth < 0 or
// mismatched dimensions.
DeepKernels deep_kernels(const NormalizedDual& dual, std::span<const double> a, std::span<const double> b, std::int64_t dimension,
                         std::int64_t depth);

// log rho^(L) for correlations rho^(0) >= 0 of a polynomial dual, by log-sum-exp through every
// layer: rho^(L) underflows double precision within a few layers when psi'(0) = 0 (psi = rho^2 at
// depth 11 already), its logarithm does not. log 0 = -infinity. Throws ConfigError for a dual
// that is not a polynomial, a negative correlation or depth.
std::vector<double> log_deep_nngp(const NormalizedDual& dual, std::span<const double> correlations, std::int64_t depth);

// The limiting rules, on labels +-1. Ties predict +1.
std::vector<double> majority_vote(std::span<const double> labels, std::int64_t test_count);
std::vector<double> nearest_neighbour_classifier(std::span<const double> train, std::span<const double> labels,
                                                 std::span<const double> test, std::int64_t dimension);
// sign(sum_i y_i ||x - x_i||^(-alpha)); a test point equal to a training point takes its label.
std::vector<double> singular_kernel_classifier(std::span<const double> train, std::span<const double> labels,
                                               std::span<const double> test, std::int64_t dimension, double alpha);

}  // namespace descent::kernels
