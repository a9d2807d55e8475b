#include "descent/two_sample/score_matching.hpp"

#include <fmt/format.h>

namespace descent::two_sample {

ScoreNetworkImpl::ScoreNetworkImpl(std::int64_t dimension, const std::vector<std::int64_t>& hidden) {
  std::int64_t width = dimension + 1;  // x and t
  std::vector<std::int64_t> sizes = hidden;
  sizes.push_back(dimension);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    layers.push_back(register_module(fmt::format("fc{}", i + 1), torch::nn::Linear(width, sizes[i])));
    width = sizes[i];
  }
}

torch::Tensor ScoreNetworkImpl::forward(const torch::Tensor& x, double t) {
  return forward_at(x, torch::full({x.size(0), 1}, t, x.options()));
}

torch::Tensor ScoreNetworkImpl::forward_at(const torch::Tensor& x, const torch::Tensor& t) {
  torch::Tensor h = torch::cat({x, t}, 1);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    h = layers[i]->forward(h);
    if (i + 1 < layers.size()) h = torch::silu(h);
  }
  return h;
}

std::vector<double> train_score_network(ScoreNetwork& network, const torch::Tensor& data, const VpSde& sde,
                                        const ScoreMatchingOptions& options, torch::Generator& generator) {
  torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(options.learning_rate));
  std::vector<double> losses;
  const std::int64_t n = data.size(0);
  for (std::int64_t step = 0; step < options.steps; ++step) {
    const torch::Tensor rows = torch::randint(n, {options.batch}, generator, torch::kLong);
    const torch::Tensor x = data.index_select(0, rows);
    const torch::Tensor t = options.t_min + (options.t_max - options.t_min) * torch::rand({options.batch, 1}, generator, data.options());
    const torch::Tensor log_alpha = sde.log_mean_coefficient(t);  // alpha(t) and sigma(t) per row
    const torch::Tensor alpha = torch::exp(log_alpha), sigma = torch::sqrt(-torch::expm1(2 * log_alpha));
    const torch::Tensor z = torch::randn(x.sizes(), generator, data.options());
    const torch::Tensor residual = sigma * network->forward_at(alpha * x + sigma * z, t) + z;
    const torch::Tensor loss = residual.pow(2).sum(1).mean();
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  return losses;
}

}  // namespace descent::two_sample
