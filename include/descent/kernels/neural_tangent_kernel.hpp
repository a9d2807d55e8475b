// The infinite-width kernels of a fully connected network in the NTK parameterization (Jacot,
// Gabriel & Hongler, "Neural Tangent Kernel", NeurIPS 2018): for
// alpha^(l+1) = W^(l) alpha^(l) / sqrt(n_l) + beta b^(l), all parameters N(0, 1),
//   Sigma^(1)(x, x') = x.x' / n_0 + beta^2,                       Theta^(1) = Sigma^(1),
//   Sigma^(l+1) = E_{f ~ GP(Sigma^(l))}[s(f(x)) s(f(x'))] + beta^2,
//   Theta^(l+1) = Theta^(l) E[s'(f(x)) s'(f(x'))] + Sigma^(l+1).
// The two expectations are the activation s's dual (Daniely, Frostig & Singer 2016): ReLU's in
// closed form (cos t = Sigma_12 / sqrt(Sigma_11 Sigma_22)),
//   E[relu relu] = sqrt(Sigma_11 Sigma_22) (sin t + (pi - t) cos t) / (2 pi),
//   E[relu' relu'] = (pi - t) / (2 pi),
// any other's by quadrature (dual_activation.hpp). Sigma^(L) is the NNGP kernel of the network's
// L-th pre-activations (L - 1 hidden layers before the output layer); Theta^(L) its NTK. Free of
// LibTorch.
#pragma once

#include <functional>
#include <span>

namespace descent::kernels {

// E[s(u) s(v)] and E[s'(u) s'(v)] for (u, v) ~ N(0, [[q11, q12], [q12, q22]]).
struct DualValues {
  double value = 0.0, derivative = 0.0;
};
using DualActivation = std::function<DualValues(double q11, double q22, double q12)>;

DualValues relu_dual(double q11, double q22, double q12);

struct InfiniteWidthKernels {
  double nngp = 0.0;  // Sigma^(L)(x, y)
  double ntk = 0.0;   // Theta^(L)(x, y)
};

// The kernels at depth L >= 1 between inputs x and y of the same length n_0. Throws ConfigError for
// L < 1, empty or unequal inputs.
InfiniteWidthKernels infinite_width_kernels(const DualActivation& dual, std::span<const double> x, std::span<const double> y, int depth,
                                            double beta);
InfiniteWidthKernels relu_kernels(std::span<const double> x, std::span<const double> y, int depth, double beta);

}  // namespace descent::kernels
