#include "descent/two_sample/perturbation_score.hpp"

#include <cmath>

namespace descent::two_sample {

namespace {

// v's component in the subspace (zero when the mixture is isotropic), same shape as v.
torch::Tensor in_subspace(const GaussianMixture& mixture, const torch::Tensor& v) {
  if (!mixture.subspace.defined()) return torch::zeros_like(v);
  return torch::matmul(torch::matmul(v, mixture.subspace), mixture.subspace.t());
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> GaussianMixture::sample(std::int64_t n, torch::Generator& generator) const {
  const torch::Tensor components = torch::multinomial(weights, n, /*replacement=*/true, generator);
  const torch::Tensor noise = torch::randn({n, means.size(1)}, generator, means.options());
  const torch::Tensor along = subspace.defined() ? in_subspace(*this, noise) : noise;
  const torch::Tensor across = noise - along;
  return {means.index_select(0, components) + stds.index_select(0, components).unsqueeze(1) * along + off_subspace_std * across, components};
}

torch::Tensor mixture_score(const GaussianMixture& mixture, const VpSde& sde, const torch::Tensor& x, double t) {
  const double alpha = sde.mean_coefficient(t), sigma = sde.marginal_std(t);
  const double d = static_cast<double>(x.size(1)), k = mixture.subspace.defined() ? static_cast<double>(mixture.subspace.size(1)) : d;
  // C_k's eigenvalues: along the subspace (everywhere, when isotropic), and across it.
  const torch::Tensor along_variance = alpha * alpha * mixture.stds * mixture.stds + sigma * sigma;  // {K}
  const double across_variance = alpha * alpha * mixture.off_subspace_std * mixture.off_subspace_std + sigma * sigma;
  const torch::Tensor offsets = alpha * mixture.means.unsqueeze(0) - x.unsqueeze(1);  // {B, K, d}
  const torch::Tensor along = mixture.subspace.defined() ? in_subspace(mixture, offsets) : offsets;
  torch::Tensor log_densities = torch::log(mixture.weights) - 0.5 * k * torch::log(along_variance) -
                                0.5 * (along * along).sum(2) / along_variance;  // {B, K}, up to a shared constant
  torch::Tensor directions = along / along_variance.reshape({1, -1, 1});
  if (mixture.subspace.defined()) {  // the across-subspace part, its variance shared by every component
    const torch::Tensor across = offsets - along;
    log_densities = log_densities - 0.5 * (across * across).sum(2) / across_variance;
    directions = directions + across / across_variance;
  }
  return (torch::softmax(log_densities, 1).unsqueeze(2) * directions).sum(1);
}

torch::Tensor expected_perturbation_score(const ScoreFunction& score, const VpSde& sde, const torch::Tensor& x,
                                          const PerturbationOptions& options, torch::Generator& generator) {
  torch::Tensor total = torch::zeros_like(x);
  for (int k = 1; k <= options.steps; ++k) {
    const double t = k * options.dt;
    const torch::Tensor z = torch::randn(x.sizes(), generator, x.options());
    total += score(sde.mean_coefficient(t) * x + sde.marginal_std(t) * z, t);
  }
  return total / options.steps;
}

}  // namespace descent::two_sample
