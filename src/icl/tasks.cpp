#include "descent/icl/tasks.hpp"

#include <fmt/format.h>

#include <cmath>

#include "descent/core/error.hpp"

namespace descent::icl {
namespace {

const auto kFloat64 = torch::TensorOptions().dtype(torch::kFloat64);

// n + 1 inputs per prompt ({B, n + 1, d}) from the configured distribution.
torch::Tensor sample_inputs(const TaskOptions& options, std::int64_t batch, torch::Generator& generator) {
  const std::int64_t d = options.dimension, points = options.context + 1;
  if (options.inputs == InputDistribution::uniform) {
    return (torch::rand({batch, points, d}, generator, kFloat64) - 0.5) * options.uniform_range;
  }
  torch::Tensor x = torch::randn({batch, points, d}, generator, kFloat64);
  if (!options.covariance_diagonal.empty()) {
    if (static_cast<std::int64_t>(options.covariance_diagonal.size()) != d) {
      throw ConfigError(fmt::format("covariance_diagonal has {} values for dimension {}", options.covariance_diagonal.size(), d));
    }
    x = x * torch::tensor(options.covariance_diagonal, kFloat64).sqrt();
  }
  if (options.condition_number > 1.0) {
    // x = Q diag(sqrt(lambda)) z: covariance Q diag(lambda) Q^T with a Haar-random rotation per
    // prompt (QR of a Gaussian matrix, signs fixed by R's diagonal so Q is uniformly distributed).
    const auto [q, r] = torch::linalg::qr(torch::randn({batch, d, d}, generator, kFloat64));
    const torch::Tensor rotation = q * r.diagonal(0, -2, -1).sign().unsqueeze(1);
    const torch::Tensor scale = torch::tensor(condition_spectrum(d, options.condition_number), kFloat64).sqrt();
    x = torch::matmul(x * scale, rotation.transpose(1, 2));
  }
  if (options.active_dimensions > 0 && options.active_dimensions < d) x.narrow(2, options.active_dimensions, d - options.active_dimensions).zero_();
  return x;
}

}  // namespace

std::vector<double> condition_spectrum(std::int64_t dimension, double kappa) {
  std::vector<double> spectrum(static_cast<std::size_t>(dimension));
  double sum = 0.0;
  for (std::int64_t i = 0; i < dimension; ++i) {
    const double fraction = dimension == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(dimension - 1);
    spectrum[static_cast<std::size_t>(i)] = std::pow(kappa, -fraction);
    sum += spectrum[static_cast<std::size_t>(i)];
  }
  for (double& value : spectrum) value *= static_cast<double>(dimension) / sum;
  return spectrum;
}

Prompts sample_prompts(const TaskOptions& options, std::int64_t batch, torch::Generator& generator) {
  const std::int64_t n = options.context;
  const torch::Tensor inputs = sample_inputs(options, batch, generator);
  Prompts prompts;
  prompts.weights = torch::randn({batch, options.dimension}, generator, kFloat64);
  const torch::Tensor clean = torch::matmul(inputs, prompts.weights.unsqueeze(2)).squeeze(2);  // {B, n + 1}
  const torch::Tensor responses = options.noise > 0 ? clean + options.noise * torch::randn({batch, n + 1}, generator, kFloat64) : clean;
  prompts.x = inputs.slice(1, 0, n);
  prompts.query = inputs.select(1, n);
  prompts.y = responses.slice(1, 0, n);
  prompts.target = responses.select(1, n);
  return prompts;
}

Prompts Prompts::head(std::int64_t count) const {
  return {x.slice(0, 0, count), y.slice(0, 0, count), query.slice(0, 0, count), target.slice(0, 0, count), weights.slice(0, 0, count)};
}

torch::Tensor tokens(const Prompts& prompts) {
  const torch::Tensor context = torch::cat({prompts.x, prompts.y.unsqueeze(2)}, 2);
  const torch::Tensor query = torch::cat({prompts.query, torch::zeros({prompts.batch(), 1}, prompts.query.options())}, 1);
  return torch::cat({context, query.unsqueeze(1)}, 1);
}

}  // namespace descent::icl
