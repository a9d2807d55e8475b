// Maximum mean discrepancy (Gretton et al., JMLR 2012) and the deep kernel of Liu et al. (ICML 2020)
// that EPS-AD (Zhang et al., ICML 2023) trains, in the forms of their utils_MMD.py:
//   MMD^2_u = [sum K_X - tr K_X] / (n(n-1)) + [sum K_Y - tr K_Y] / (n(n-1)) - 2 [sum K_XY - tr K_XY] / (n(n-1))
//   Var     = 4 (V1 - V2^2),  H = K_X + K_Y - K_XY - K_XY^T,  V1 = ||H 1 / n||^2 / n,  V2 = sum H / n^2
//   MMD^2_b(X, {y}) = mean K_X - 2 mean_j k(x_j, y) + k(y, y)     (their MMD_batch, one y at a time)
//   deep kernel k(a, b) = (1 - eps) exp(-||phi(a) - phi(b)||^2 / sigma0 - ||a - b||^2 / sigma) + eps exp(-||a - b||^2 / sigma)
// with sigma = sigma_opt^2, sigma0 = sigma0_opt^2, eps = sigmoid(eps_opt) trained with phi. Distances
// are squared and not divided by 2 sigma^2, as there. Everything keeps autograd, so J = MMD^2_u /
// sqrt(Var + 1e-8) can be maximized over the kernel.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace descent::two_sample {

struct KernelMatrices {
  torch::Tensor xx, yy, xy;  // {n, n} each (the unbiased forms need equal sample sizes)
};

torch::Tensor mmd2_unbiased(const KernelMatrices& k);
// MMD^2_b = mean K_X + mean K_Y - 2 mean K_XY (any sample sizes; the V-statistic, >= 0 for a
// positive definite kernel).
torch::Tensor mmd2_biased(const KernelMatrices& k);
torch::Tensor mmd2_variance(const KernelMatrices& k);
// J: the test-power proxy the deep kernel maximizes.
torch::Tensor test_power_objective(const KernelMatrices& k);

// MMD^2_b between the reference sample and each single y: {m} from mean K_X (a scalar), the {n, m}
// cross-kernel columns and the m values k(y, y).
torch::Tensor mmd2_batch(const torch::Tensor& reference_mean, const torch::Tensor& cross, const torch::Tensor& self);

// Squared Euclidean distances between rows, {n, m}, clamped at 0.
torch::Tensor squared_distances(const torch::Tensor& a, const torch::Tensor& b);

// exp(-||a - b||^2 / bandwidth), {n, m}.
torch::Tensor gaussian_kernel(const torch::Tensor& a, const torch::Tensor& b, double bandwidth);

// The median of the pairwise squared distances of the rows of `a` (off the diagonal): the usual
// bandwidth for gaussian_kernel when nothing is trained.
double median_squared_distance(const torch::Tensor& a);

struct DeepKernelOptions {
  std::int64_t inputs = 0;
  std::vector<std::int64_t> hidden = {64};
  std::int64_t features = 32;
  double sigma = 1.0, sigma0 = 1.0, epsilon = 1e-2;  // initial values of sigma, sigma0, eps
};

struct DeepKernelImpl : torch::nn::Module {
  explicit DeepKernelImpl(const DeepKernelOptions& options);
  torch::Tensor features(const torch::Tensor& x);  // phi: linear layers with softplus between
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b);  // k(a, b), {n, m}
  // k(y, y) for each row: (1 - eps) + eps = 1 for this kernel, kept general for clarity.
  torch::Tensor diagonal(const torch::Tensor& y);

  std::vector<torch::nn::Linear> layers;
  torch::Tensor sigma_opt, sigma0_opt, epsilon_opt;
};
TORCH_MODULE(DeepKernel);

// Maximizes J over the kernel's parameters with Adam on pairs of equal batches drawn from `x` and
// `y` ({n, d} each, same n): `epochs` passes of batches of `batch` rows. Returns J per epoch.
std::vector<double> train_deep_kernel(DeepKernel& kernel, const torch::Tensor& x, const torch::Tensor& y, double learning_rate,
                                      std::int64_t epochs, std::int64_t batch, torch::Generator& generator);

// A permutation test of X ~ Y: the fraction of `permutations` random relabellings of the pooled
// sample whose MMD^2_u (Gaussian kernel) is at least the observed one, with the +1 correction.
double permutation_p_value(const torch::Tensor& x, const torch::Tensor& y, double bandwidth, std::int64_t permutations,
                           torch::Generator& generator);

}  // namespace descent::two_sample
