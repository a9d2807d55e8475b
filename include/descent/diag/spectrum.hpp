// Curvature of the loss: Hessian-vector products by double backward, and the estimators built on
// them. Lanczos with full reorthogonalization for the top eigenvalues (the sharpness of the edge-
// of-stability papers: Cohen et al., ICLR 2021), power iteration, Hutchinson's trace estimator
// (Hutchinson, 1989) and stochastic Lanczos quadrature for the spectral density (Ghorbani, Krishnan
// & Xiao, ICML 2019; Ubaru, Chen & Saad, 2017). The estimators take any symmetric operator as a
// function on flat vectors, so tests can feed them dense matrices.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "descent/models/models.hpp"

namespace descent::diag {

// v -> H v for a symmetric operator on flat float64 vectors of length n.
using Operator = std::function<torch::Tensor(const torch::Tensor&)>;

// The Hessian of a model's mean loss on fixed data, as an operator on flat parameter vectors.
// The gradient graph is built once; each product is one more backward through it.
class HessianOperator {
public:
  HessianOperator(models::Model& model, const torch::Tensor& x, const torch::Tensor& y, bool classification);
  torch::Tensor apply(const torch::Tensor& v);  // flat, float64, length dimension()
  Operator as_operator();
  std::int64_t dimension() const { return dimension_; }
  int products() const { return products_; }
  torch::Tensor gradient() const;  // the flat gradient (float64)

private:
  std::vector<torch::Tensor> parameters_;
  std::vector<torch::Tensor> gradients_;  // with create_graph
  std::int64_t dimension_ = 0;
  int products_ = 0;
};

struct LanczosResult {
  std::vector<double> eigenvalues;  // the top k Ritz values, largest first
  int iterations = 0;
};

// Lanczos with full reorthogonalization from a seeded random start.
LanczosResult lanczos(const Operator& op, std::int64_t n, int k, int iterations, std::uint64_t seed);

// The top eigenvalues of P^{-1} H for a positive diagonal preconditioner P (flat, float64), as
// those of the symmetric P^{-1/2} H P^{-1/2}: the preconditioned sharpness of adaptive methods.
LanczosResult preconditioned_lanczos(const Operator& hessian, const torch::Tensor& diagonal, int k, int iterations, std::uint64_t seed);

// The top eigenvalue (largest algebraic) by power iteration on H + shift I until the Rayleigh
// quotient moves less than `tolerance` (relative); returns it and the products used.
std::pair<double, int> power_iteration(const Operator& op, std::int64_t n, int max_iterations, double tolerance, std::uint64_t seed);

struct TraceEstimate {
  double mean = 0.0;
  double standard_error = 0.0;
};

// Hutchinson: tr H ~ mean of z^T H z over Rademacher z.
TraceEstimate hutchinson_trace(const Operator& op, std::int64_t n, int samples, std::uint64_t seed);

// Stochastic Lanczos quadrature: for each of `probes` Rademacher vectors, the Ritz values of
// `iterations` Lanczos steps and the squared first components of their eigenvectors as weights.
// The density is sum_j weights_j delta(nodes_j) (weights sum to 1).
struct SpectralDensity {
  std::vector<double> nodes;
  std::vector<double> weights;
};
SpectralDensity spectral_density(const Operator& op, std::int64_t n, int probes, int iterations, std::uint64_t seed);

}  // namespace descent::diag
