#include "descent/kernels/neural_tangent_kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "descent/core/error.hpp"

namespace descent::kernels {

DualValues relu_dual(double q11, double q22, double q12) {
  const double scale = std::sqrt(q11 * q22);
  if (scale == 0.0) return {0.0, 0.0};  // a side identically 0 (zero input, beta = 0): relu(0) = 0, relu'(0) taken as 0
  const double angle = std::acos(std::clamp(q12 / scale, -1.0, 1.0));
  return {scale * (std::sin(angle) + (M_PI - angle) * std::cos(angle)) / (2 * M_PI), (M_PI - angle) / (2 * M_PI)};
}

InfiniteWidthKernels infinite_width_kernels(const DualActivation& dual, std::span<const double> x, std::span<const double> y, int depth,
                                            double beta) {
  if (depth < 1) throw ConfigError(fmt::format("NTK: depth {} (the first layer is depth 1)", depth));
  if (x.empty() || x.size() != y.size()) throw ConfigError(fmt::format("NTK: inputs of {} and {} coordinates", x.size(), y.size()));
  const auto inner = [](std::span<const double> a, std::span<const double> b) {
    double sum = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) sum += a[k] * b[k];
    return sum / static_cast<double>(a.size());
  };
  const double bias = beta * beta;
  // Sigma^(l) on the pairs (x, x), (y, y), (x, y), and Theta^(l)(x, y).
  double sxx = inner(x, x) + bias, syy = inner(y, y) + bias, sxy = inner(x, y) + bias;
  double theta = sxy;
  for (int layer = 1; layer < depth; ++layer) {
    const DualValues cross = dual(sxx, syy, sxy);
    theta = theta * cross.derivative + cross.value + bias;
    sxy = cross.value + bias;
    sxx = dual(sxx, sxx, sxx).value + bias;
    syy = dual(syy, syy, syy).value + bias;
  }
  return {sxy, theta};
}

InfiniteWidthKernels relu_kernels(std::span<const double> x, std::span<const double> y, int depth, double beta) {
  return infinite_width_kernels(relu_dual, x, y, depth, beta);
}

}  // namespace descent::kernels
