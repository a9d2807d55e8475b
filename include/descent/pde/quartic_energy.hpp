// A nonlinear variational elliptic problem of the kind Marwah, Lipton, Lu & Risteski study ("Neural
// Network Approximations of PDEs Beyond Linearity: A Representational Perspective"): on the periodic
// square [0, 2 pi)^2, minimize
//   E(u) = integral of  1/2 |grad u|^2 + 1/2 u^2 + 1/4 u^4 - f u,
// whose Euler-Lagrange equation is DE(u) = -Laplacian u + u + u^3 - f = 0. Two solvers share the
// one energy density:
// - preconditioned gradient descent in the Hilbert space, the construction of the paper's proof:
//   u <- u - step (I - Laplacian)^-1 DE(u), spectrally (FFT) on an n x n grid. The preconditioner
//   makes the linear part the identity, so the iteration contracts at the rate
//   max |1 - step (1 + lambda)| over lambda in [0, 3 max u^2] whatever the grid (it needs
//   step < 2 / (1 + 3 max u^2));
// - Deep Ritz (E & Yu 2018): a network u_theta minimizing a Monte Carlo estimate of E(u_theta) over
//   uniform points, its gradient in x by autograd. The network reads (sin x, cos x, sin y, cos y),
//   so it is periodic by construction.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace descent::pde {

using Source = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& y)>;

// 1/2 |grad u|^2 + 1/2 u^2 + 1/4 u^4 - f u, pointwise.
torch::Tensor quartic_energy_density(const torch::Tensor& u, const torch::Tensor& ux, const torch::Tensor& uy, const torch::Tensor& f);

struct PeriodicGrid {
  std::int64_t n = 0;
  torch::Tensor x, y;          // n x n coordinates, x varying along dimension 1
  torch::Tensor wavenumbers2;  // |k|^2 per Fourier mode (n x n)
  torch::Tensor kx, ky;        // the modes' wavenumbers
};

PeriodicGrid periodic_grid(std::int64_t n);

// The spectral derivatives of grid values u (exact for trigonometric polynomials below the Nyquist mode).
std::pair<torch::Tensor, torch::Tensor> spectral_gradient(const PeriodicGrid& grid, const torch::Tensor& u);

// E(u) on the grid (the rectangle rule, spectrally accurate for smooth periodic integrands).
double grid_energy(const PeriodicGrid& grid, const torch::Tensor& u, const torch::Tensor& f);

struct PreconditionedDescent {
  torch::Tensor u;
  std::vector<double> residuals;  // ||DE(u_t)|| / ||f|| (grid L2) before each step, and after the last
};

// From u = 0, `iterations` steps (stopping early below `tolerance`). Throws ConfigError for a
// non-positive step or grid size below 4.
PreconditionedDescent preconditioned_gradient_descent(const PeriodicGrid& grid, const Source& source, double step, std::int64_t iterations,
                                                      double tolerance = 0.0);

class RitzNetworkImpl : public torch::nn::Module {
public:
  RitzNetworkImpl(std::int64_t width, std::int64_t hidden_layers);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& y);  // u at the points (x, y), same shape

private:
  torch::nn::Sequential layers_;
};
TORCH_MODULE(RitzNetwork);

// The Monte Carlo energy (2 pi)^2 mean_i density(u(x_i)) over `points` uniform draws: its gradient
// in the network's parameters is the Deep Ritz step's.
torch::Tensor deep_ritz_energy(RitzNetwork& network, const Source& source, std::int64_t points, torch::Generator& generator);

}  // namespace descent::pde
