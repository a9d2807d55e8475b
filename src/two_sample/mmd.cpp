#include "descent/two_sample/mmd.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"

namespace descent::two_sample {
namespace {

void check_square_and_equal(const KernelMatrices& k) {
  const std::int64_t n = k.xx.size(0);
  if (k.xx.sizes() != k.yy.sizes() || k.xx.sizes() != k.xy.sizes() || k.xx.dim() != 2 || k.xx.size(1) != n || n < 2) {
    throw ConfigError("MMD: the unbiased estimate needs three n x n kernel matrices with n >= 2");
  }
}

torch::Tensor off_diagonal_sum(const torch::Tensor& m) { return m.sum() - m.diagonal().sum(); }

}  // namespace

torch::Tensor mmd2_unbiased(const KernelMatrices& k) {
  check_square_and_equal(k);
  const auto n = static_cast<double>(k.xx.size(0));
  const double pairs = n * (n - 1);
  return off_diagonal_sum(k.xx) / pairs + off_diagonal_sum(k.yy) / pairs - 2 * off_diagonal_sum(k.xy) / pairs;
}

torch::Tensor mmd2_biased(const KernelMatrices& k) { return k.xx.mean() + k.yy.mean() - 2 * k.xy.mean(); }

torch::Tensor mmd2_variance(const KernelMatrices& k) {
  check_square_and_equal(k);
  const auto n = static_cast<double>(k.xx.size(0));
  const torch::Tensor h = k.xx + k.yy - k.xy - k.xy.t();
  const torch::Tensor row_means = h.sum(1) / n;
  const torch::Tensor v1 = row_means.dot(row_means) / n, v2 = h.sum() / (n * n);
  return 4 * (v1 - v2 * v2);
}

torch::Tensor test_power_objective(const KernelMatrices& k) { return mmd2_unbiased(k) / torch::sqrt(mmd2_variance(k) + 1e-8); }

torch::Tensor mmd2_batch(const torch::Tensor& reference_mean, const torch::Tensor& cross, const torch::Tensor& self) {
  return reference_mean - 2 * cross.mean(0) + self;
}

torch::Tensor squared_distances(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor a2 = (a * a).sum(1, true), b2 = (b * b).sum(1, true);
  return (a2 + b2.t() - 2 * torch::matmul(a, b.t())).clamp_min(0);
}

torch::Tensor gaussian_kernel(const torch::Tensor& a, const torch::Tensor& b, double bandwidth) {
  return torch::exp(-squared_distances(a, b) / bandwidth);
}

double median_squared_distance(const torch::Tensor& a) {
  const std::int64_t n = a.size(0);
  const torch::Tensor d = squared_distances(a, a);
  const torch::Tensor off = d.masked_select(~torch::eye(n, torch::TensorOptions().dtype(torch::kBool)));
  return off.median().item<double>();
}

DeepKernelImpl::DeepKernelImpl(const DeepKernelOptions& options) {
  std::int64_t width = options.inputs;
  std::vector<std::int64_t> sizes = options.hidden;
  sizes.push_back(options.features);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    layers.push_back(register_module(fmt::format("phi{}", i + 1), torch::nn::Linear(width, sizes[i])));
    width = sizes[i];
  }
  sigma_opt = register_parameter("sigma_opt", torch::tensor(std::sqrt(options.sigma)));
  sigma0_opt = register_parameter("sigma0_opt", torch::tensor(std::sqrt(options.sigma0)));
  epsilon_opt = register_parameter("epsilon_opt", torch::tensor(std::log(options.epsilon / (1 - options.epsilon))));
}

torch::Tensor DeepKernelImpl::features(const torch::Tensor& x) {
  torch::Tensor h = x;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    h = layers[i]->forward(h);
    if (i + 1 < layers.size()) h = torch::softplus(h);
  }
  return h;
}

torch::Tensor DeepKernelImpl::forward(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor sigma = sigma_opt * sigma_opt, sigma0 = sigma0_opt * sigma0_opt, epsilon = torch::sigmoid(epsilon_opt);
  const torch::Tensor input_term = squared_distances(a, b) / sigma;
  const torch::Tensor feature_term = squared_distances(features(a), features(b)) / sigma0;
  return (1 - epsilon) * torch::exp(-feature_term - input_term) + epsilon * torch::exp(-input_term);
}

torch::Tensor DeepKernelImpl::diagonal(const torch::Tensor& y) {
  const torch::Tensor epsilon = torch::sigmoid(epsilon_opt);
  return ((1 - epsilon) + epsilon) * torch::ones({y.size(0)}, y.options());
}

std::vector<double> train_deep_kernel(DeepKernel& kernel, const torch::Tensor& x, const torch::Tensor& y, double learning_rate,
                                      std::int64_t epochs, std::int64_t batch, torch::Generator& generator) {
  if (x.sizes() != y.sizes()) throw ConfigError("deep kernel: the two training samples must have the same shape");
  torch::optim::Adam optimizer(kernel->parameters(), torch::optim::AdamOptions(learning_rate));
  std::vector<double> objective;
  const std::int64_t n = x.size(0), batches = std::max<std::int64_t>(1, n / batch);
  for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
    const torch::Tensor order_x = torch::randperm(n, generator, torch::kLong), order_y = torch::randperm(n, generator, torch::kLong);
    double total = 0.0;
    for (std::int64_t b = 0; b < batches; ++b) {
      const torch::Tensor xb = x.index_select(0, order_x.narrow(0, b * batch, std::min(batch, n - b * batch)));
      const torch::Tensor yb = y.index_select(0, order_y.narrow(0, b * batch, std::min(batch, n - b * batch)));
      const torch::Tensor j = test_power_objective({kernel->forward(xb, xb), kernel->forward(yb, yb), kernel->forward(xb, yb)});
      optimizer.zero_grad();
      (-j).backward();
      optimizer.step();
      total += j.item<double>();
    }
    objective.push_back(total / static_cast<double>(batches));
  }
  return objective;
}

double permutation_p_value(const torch::Tensor& x, const torch::Tensor& y, double bandwidth, std::int64_t permutations,
                           torch::Generator& generator) {
  if (x.sizes() != y.sizes()) throw ConfigError("permutation test: the two samples must have the same shape");
  const std::int64_t n = x.size(0);
  const torch::Tensor pooled = torch::cat({x, y});
  const torch::Tensor k = gaussian_kernel(pooled, pooled, bandwidth);
  const auto statistic = [&](const torch::Tensor& order) {
    const torch::Tensor first = order.narrow(0, 0, n), second = order.narrow(0, n, n);
    const auto block = [&](const torch::Tensor& rows, const torch::Tensor& columns) { return k.index_select(0, rows).index_select(1, columns); };
    return mmd2_unbiased({block(first, first), block(second, second), block(first, second)}).item<double>();
  };
  const double observed = statistic(torch::arange(2 * n, torch::kLong));
  std::int64_t at_least = 0;
  for (std::int64_t p = 0; p < permutations; ++p) at_least += statistic(torch::randperm(2 * n, generator, torch::kLong)) >= observed;
  return static_cast<double>(at_least + 1) / static_cast<double>(permutations + 1);
}

}  // namespace descent::two_sample
