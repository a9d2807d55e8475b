#include "descent/models/ghost_batch_norm.hpp"

namespace descent::models {

GhostBatchNormImpl::GhostBatchNormImpl(std::int64_t features, std::int64_t ghost_size_, double momentum_, double eps_)
    : ghost_size(ghost_size_), momentum(momentum_), eps(eps_) {
  weight = register_parameter("weight", torch::ones({features}));
  bias = register_parameter("bias", torch::zeros({features}));
  running_mean = register_buffer("running_mean", torch::zeros({features}));
  running_var = register_buffer("running_var", torch::ones({features}));
}

torch::Tensor GhostBatchNormImpl::forward(const torch::Tensor& x) {
  if (!is_training()) return (x - running_mean) / torch::sqrt(running_var + eps) * weight + bias;
  const std::int64_t chunk = ghost_size > 0 ? ghost_size : x.size(0);
  std::vector<torch::Tensor> parts;
  for (const auto& part : x.split(chunk, 0)) {
    const torch::Tensor mean = part.mean(0);
    const torch::Tensor variance = part.var(0, /*unbiased=*/false);
    parts.push_back((part - mean) / torch::sqrt(variance + eps) * weight + bias);
    torch::NoGradGuard no_grad;
    const double n = static_cast<double>(part.size(0));
    // torch keeps the unbiased variance in its running estimate.
    running_mean.mul_(1.0 - momentum).add_(mean.detach(), momentum);
    running_var.mul_(1.0 - momentum).add_(variance.detach() * (n > 1 ? n / (n - 1) : 1.0), momentum);
  }
  return torch::cat(parts, 0);
}

}  // namespace descent::models
