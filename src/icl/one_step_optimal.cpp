#include "descent/icl/one_step_optimal.hpp"

namespace descent::icl {

double optimal_step(std::int64_t context, std::int64_t dimension, double noise_variance) {
  const double n = static_cast<double>(context);
  return n / (n + static_cast<double>(dimension) + 1.0 + noise_variance);
}

namespace {

torch::Tensor covariance(const std::vector<double>& diagonal) { return torch::diag(torch::tensor(diagonal, torch::kFloat64)); }

// ((n + 1) Sigma + (tr Sigma + sigma^2) I): the bracket of A = (1/n) Sigma (...).
torch::Tensor bracket(const torch::Tensor& sigma, std::int64_t context, double noise_variance) {
  const double n = static_cast<double>(context);
  return (n + 1.0) * sigma + (sigma.trace().item<double>() + noise_variance) * torch::eye(sigma.size(0), torch::kFloat64);
}

}  // namespace

torch::Tensor optimal_preconditioner(const std::vector<double>& covariance_diagonal, std::int64_t context, double noise_variance) {
  return static_cast<double>(context) * torch::linalg::inv(bracket(covariance(covariance_diagonal), context, noise_variance));
}

double one_step_loss(const torch::Tensor& gamma, const std::vector<double>& covariance_diagonal, std::int64_t context,
                     double noise_variance) {
  const torch::Tensor sigma = covariance(covariance_diagonal);
  const torch::Tensor a = torch::matmul(sigma, bracket(sigma, context, noise_variance)) / static_cast<double>(context);
  const torch::Tensor g = gamma.to(torch::kFloat64);
  const torch::Tensor loss = torch::matmul(torch::matmul(sigma, g), torch::matmul(a, g.t())).trace() -
                             2.0 * torch::matmul(torch::matmul(sigma, g), sigma).trace() + sigma.trace() + noise_variance;
  return loss.item<double>();
}

torch::Tensor context_correlation(const Prompts& prompts) {
  return torch::matmul(prompts.x.transpose(1, 2), prompts.y.unsqueeze(2)).squeeze(2) / static_cast<double>(prompts.context());
}

torch::Tensor fit_preconditioner(const Prompts& prompts, const torch::Tensor& predictions) {
  const std::int64_t d = prompts.dimension();
  // query^T Gamma h = sum_ab Gamma_ab query_a h_b: linear in vec(Gamma) with features query h^T.
  const torch::Tensor features = torch::matmul(prompts.query.unsqueeze(2), context_correlation(prompts).unsqueeze(1)).reshape({-1, d * d});
  const torch::Tensor solution = std::get<0>(torch::linalg::lstsq(features, predictions.detach().unsqueeze(1), c10::nullopt, "gelsd"));
  return solution.reshape({d, d});
}

}  // namespace descent::icl
