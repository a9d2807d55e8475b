#include "descent/pde/quartic_energy.hpp"

#include <fmt/format.h>

#include <cmath>

#include "descent/core/error.hpp"

namespace descent::pde {
namespace {

constexpr double kTwoPi = 2.0 * M_PI;

double grid_norm(const torch::Tensor& v) { return v.pow(2).mean().sqrt().item<double>(); }

torch::Tensor derivative(const torch::Tensor& u, const torch::Tensor& k) {
  return torch::real(torch::fft::ifft2(torch::fft::fft2(u) * torch::complex(torch::zeros_like(k), k)));
}

}  // namespace

torch::Tensor quartic_energy_density(const torch::Tensor& u, const torch::Tensor& ux, const torch::Tensor& uy, const torch::Tensor& f) {
  return 0.5 * (ux.pow(2) + uy.pow(2)) + 0.5 * u.pow(2) + 0.25 * u.pow(4) - f * u;
}

PeriodicGrid periodic_grid(std::int64_t n) {
  if (n < 4) throw ConfigError(fmt::format("periodic grid of {} points per side (at least 4)", n));
  PeriodicGrid grid;
  grid.n = n;
  const torch::Tensor points = torch::arange(n, torch::kFloat64) * (kTwoPi / static_cast<double>(n));
  const auto xy = torch::meshgrid({points, points}, "xy");
  grid.x = xy[0];
  grid.y = xy[1];
  // fftfreq: 0, 1, ..., n/2 - 1, -n/2, ..., -1; the Nyquist mode's odd derivative is set to 0.
  torch::Tensor k = torch::fft::fftfreq(n, 1.0 / static_cast<double>(n), torch::kFloat64);
  if (n % 2 == 0) k[n / 2] = 0.0;
  const auto kk = torch::meshgrid({k, k}, "xy");
  grid.kx = kk[0];
  grid.ky = kk[1];
  torch::Tensor full = torch::fft::fftfreq(n, 1.0 / static_cast<double>(n), torch::kFloat64);
  const auto ff = torch::meshgrid({full, full}, "xy");
  grid.wavenumbers2 = ff[0].pow(2) + ff[1].pow(2);
  return grid;
}

std::pair<torch::Tensor, torch::Tensor> spectral_gradient(const PeriodicGrid& grid, const torch::Tensor& u) {
  return {derivative(u, grid.kx), derivative(u, grid.ky)};
}

double grid_energy(const PeriodicGrid& grid, const torch::Tensor& u, const torch::Tensor& f) {
  const auto [ux, uy] = spectral_gradient(grid, u);
  return quartic_energy_density(u, ux, uy, f).mean().item<double>() * kTwoPi * kTwoPi;
}

PreconditionedDescent preconditioned_gradient_descent(const PeriodicGrid& grid, const Source& source, double step, std::int64_t iterations,
                                                      double tolerance) {
  if (!(step > 0.0) || iterations < 0) throw ConfigError(fmt::format("preconditioned descent: step {} (positive), {} iterations", step, iterations));
  const torch::Tensor f = source(grid.x, grid.y);
  const double scale = grid_norm(f) > 0.0 ? grid_norm(f) : 1.0;  // f = 0: absolute residuals
  const torch::Tensor one_plus_k2 = 1.0 + grid.wavenumbers2;
  PreconditionedDescent result{torch::zeros_like(f), {}};
  for (std::int64_t t = 0; t <= iterations; ++t) {
    // DE(u) = (I - Laplacian) u + u^3 - f; the preconditioned gradient is u + (I - Laplacian)^-1 (u^3 - f).
    const torch::Tensor nonlinear_hat = torch::fft::fft2(result.u.pow(3) - f);
    const torch::Tensor de = torch::real(torch::fft::ifft2(torch::fft::fft2(result.u) * one_plus_k2 + nonlinear_hat));
    result.residuals.push_back(grid_norm(de) / scale);
    if (t == iterations || result.residuals.back() < tolerance) break;
    const torch::Tensor preconditioned = result.u + torch::real(torch::fft::ifft2(nonlinear_hat / one_plus_k2));
    result.u = result.u - step * preconditioned;
  }
  return result;
}

RitzNetworkImpl::RitzNetworkImpl(std::int64_t width, std::int64_t hidden_layers) {
  if (width < 1 || hidden_layers < 1) throw ConfigError(fmt::format("Deep Ritz network: width {}, {} hidden layers (positive)", width, hidden_layers));
  std::int64_t inputs = 4;
  for (std::int64_t l = 0; l < hidden_layers; ++l) {
    layers_->push_back(torch::nn::Linear(inputs, width));
    layers_->push_back(torch::nn::Tanh());
    inputs = width;
  }
  layers_->push_back(torch::nn::Linear(inputs, 1));
  register_module("layers", layers_);
}

torch::Tensor RitzNetworkImpl::forward(const torch::Tensor& x, const torch::Tensor& y) {
  const torch::Tensor features = torch::stack({torch::sin(x), torch::cos(x), torch::sin(y), torch::cos(y)}, -1);
  return layers_->forward(features).squeeze(-1);
}

torch::Tensor deep_ritz_energy(RitzNetwork& network, const Source& source, std::int64_t points, torch::Generator& generator) {
  if (points < 1) throw ConfigError(fmt::format("Deep Ritz: {} points (positive)", points));
  const torch::Tensor x = (torch::rand({points}, generator, torch::kFloat64) * kTwoPi).requires_grad_(true);
  const torch::Tensor y = (torch::rand({points}, generator, torch::kFloat64) * kTwoPi).requires_grad_(true);
  const torch::Tensor u = network->forward(x, y);
  const auto grads = torch::autograd::grad({u.sum()}, {x, y}, {}, /*retain_graph=*/true, /*create_graph=*/true);
  return quartic_energy_density(u, grads[0], grads[1], source(x, y)).mean() * (kTwoPi * kTwoPi);
}

}  // namespace descent::pde
