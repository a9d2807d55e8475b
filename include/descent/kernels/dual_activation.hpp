// The dual of an activation s (Daniely, Frostig & Singer, "Toward Deeper Understanding of Neural
// Networks: The Power of Initialization and a Dual View on Expressivity", NeurIPS 2016):
//   (q11, q22, q12) -> E[s(u) s(v)] and E[s'(u) s'(v)],  (u, v) ~ N(0, [[q11, q12], [q12, q22]]),
// for any activation, with u = sqrt(q11) z1, v = (q12 / sqrt(q11)) z1 + sqrt(q22 - q12^2 / q11) z2
// and (z1, z2) standard normal, in polar coordinates: Gauss-Laguerre in r^2 / 2 times Gauss-
// Legendre in the angle, the angle cut where u or v is 0. A kink at 0 (ReLU) then falls between
// pieces, and positively homogeneous activations are integrated exactly; smooth ones converge
// geometrically. Free of LibTorch.
#pragma once

#include <functional>
#include <string>

#include "descent/kernels/neural_tangent_kernel.hpp"

namespace descent::kernels {

struct ScalarActivation {
  std::function<double(double)> value, derivative;
};

// relu, tanh, erf, sigmoid, gelu (exact, Phi-based), identity; throws ConfigError naming the others.
ScalarActivation scalar_activation(const std::string& name);

// The dual of `activation` by `nodes` radial x `nodes` angular points per angular piece.
DualActivation quadrature_dual(ScalarActivation activation, int nodes = 64);

// erf's dual in closed form (Williams 1997): E[erf(u) erf(v)] = (2/pi) asin(2 q12 / sqrt((1 + 2 q11)(1 + 2 q22))),
// E[erf'(u) erf'(v)] = (4/pi) / sqrt((1 + 2 q11)(1 + 2 q22) - 4 q12^2).
DualValues erf_dual(double q11, double q22, double q12);

}  // namespace descent::kernels
