#include "descent/two_sample/perturbation_score.hpp"

#include <cmath>

namespace descent::two_sample {

std::pair<torch::Tensor, torch::Tensor> GaussianMixture::sample(std::int64_t n, torch::Generator& generator) const {
  const torch::Tensor components = torch::multinomial(weights, n, /*replacement=*/true, generator);
  const torch::Tensor noise = torch::randn({n, means.size(1)}, generator, means.options());
  return {means.index_select(0, components) + stds.index_select(0, components).unsqueeze(1) * noise, components};
}

torch::Tensor mixture_score(const GaussianMixture& mixture, const VpSde& sde, const torch::Tensor& x, double t) {
  const double alpha = sde.mean_coefficient(t), sigma = sde.marginal_std(t);
  const torch::Tensor variances = alpha * alpha * mixture.stds * mixture.stds + sigma * sigma;  // {K}
  const torch::Tensor centres = alpha * mixture.means;                                          // {K, d}
  const torch::Tensor offsets = centres.unsqueeze(0) - x.unsqueeze(1);                           // {B, K, d}
  const double d = static_cast<double>(x.size(1));
  const torch::Tensor log_densities = torch::log(mixture.weights) - 0.5 * d * torch::log(variances) -
                                      0.5 * (offsets * offsets).sum(2) / variances;  // {B, K}, up to a constant
  const torch::Tensor responsibilities = torch::softmax(log_densities, 1);
  return (responsibilities.unsqueeze(2) * offsets / variances.reshape({1, -1, 1})).sum(1);
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
