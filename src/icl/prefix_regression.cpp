#include "descent/icl/prefix_regression.hpp"

#include <cmath>

#include "descent/icl/reference_algorithms.hpp"

namespace descent::icl {
namespace {

// Sums over the points before each position: exclusive prefix sums along dimension 1.
torch::Tensor exclusive_cumsum(const torch::Tensor& values) {
  const torch::Tensor inclusive = values.cumsum(1);
  return torch::cat({torch::zeros_like(values.narrow(1, 0, 1)), inclusive.narrow(1, 0, values.size(1) - 1)}, 1);
}

torch::Tensor predict_with(const PrefixSystems& systems, const torch::Tensor& weights) { return (systems.inputs * weights).sum(-1); }

torch::Tensor apply(const torch::Tensor& matrices, const torch::Tensor& vectors) {
  return torch::matmul(matrices, vectors.unsqueeze(-1)).squeeze(-1);
}

}  // namespace

PointSequence point_sequence(const Prompts& prompts) {
  return {torch::cat({prompts.x, prompts.query.unsqueeze(1)}, 1), torch::cat({prompts.y, prompts.target.unsqueeze(1)}, 1)};
}

PrefixSystems prefix_systems(const PointSequence& sequence) {
  const torch::Tensor x = sequence.x.to(torch::kFloat64), y = sequence.y.to(torch::kFloat64);
  return {exclusive_cumsum(x.unsqueeze(3) * x.unsqueeze(2)), exclusive_cumsum(x * y.unsqueeze(2)), x, y};
}

torch::Tensor newton_prefix_predictions(const PrefixSystems& systems, int steps) {
  std::vector<torch::Tensor> predictions;
  for (const auto& m : iterative_newton_inverses(systems.gram, steps)) predictions.push_back(predict_with(systems, apply(m, systems.moment)));
  return torch::stack(predictions);
}

torch::Tensor gradient_descent_prefix_predictions(const PrefixSystems& systems, double eta, const std::vector<std::int64_t>& steps) {
  const auto [lambda, vectors] = torch::linalg::eigh(systems.gram, "L");
  const torch::Tensor projected = apply(vectors.transpose(-2, -1), systems.moment);  // V^T b
  // Directions with lambda ~ 0 carry no moment (b lies in the range of S); their gain is k eta in
  // the limit, written out so that 0/0 never happens.
  const torch::Tensor flat = lambda.abs() < 1e-12 * (1.0 + lambda.abs().amax(-1, true));
  std::vector<torch::Tensor> predictions;
  for (const std::int64_t k : steps) {
    const double count = static_cast<double>(k);
    const torch::Tensor gain = torch::where(flat, torch::full_like(lambda, eta * count),
                                            (1.0 - torch::pow(1.0 - eta * lambda, count)) / torch::where(flat, torch::ones_like(lambda), lambda));
    predictions.push_back(predict_with(systems, apply(vectors, gain * projected)));
  }
  return torch::stack(predictions);
}

torch::Tensor least_squares_prefix_predictions(const PrefixSystems& systems) {
  return predict_with(systems, apply(torch::linalg::pinv(systems.gram, 1e-10, true), systems.moment));
}

double residual_similarity(const torch::Tensor& predictions, const torch::Tensor& reference, const torch::Tensor& targets) {
  return mean_cosine(predictions.to(torch::kFloat64) - targets, reference.to(torch::kFloat64) - targets);
}

torch::Tensor mean_squared_error_by_position(const torch::Tensor& predictions, const torch::Tensor& targets) {
  return (predictions.to(torch::kFloat64) - targets).square().mean(0);
}

}  // namespace descent::icl
