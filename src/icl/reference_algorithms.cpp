#include "descent/icl/reference_algorithms.hpp"

#include <cmath>

namespace descent::icl {
namespace {

// X^T v / n per prompt: {B, n, d} x {B, n} -> {B, d}.
torch::Tensor correlate(const torch::Tensor& x, const torch::Tensor& v) {
  return torch::matmul(x.transpose(1, 2), v.unsqueeze(2)).squeeze(2) / static_cast<double>(x.size(1));
}

torch::Tensor row_dot(const torch::Tensor& a, const torch::Tensor& b) { return (a * b).sum(-1); }

}  // namespace

torch::Tensor gradient_descent_predictions(const Prompts& prompts, double eta, int steps) {
  torch::Tensor w = torch::zeros_like(prompts.query);
  std::vector<torch::Tensor> predictions;
  for (int k = 0; k < steps; ++k) {
    const torch::Tensor residual = prompts.y - torch::matmul(prompts.x, w.unsqueeze(2)).squeeze(2);
    w = w + eta * correlate(prompts.x, residual);
    predictions.push_back(row_dot(w, prompts.query));
  }
  return torch::stack(predictions);
}

torch::Tensor gd_plus_plus_predictions(const Prompts& prompts, double eta, double gamma, int steps) {
  // The token view: the context carries residuals r_i = y_i - w.x_i, the query carries -y_hat.
  torch::Tensor x = prompts.x, query = prompts.query, residual = prompts.y;
  torch::Tensor query_slot = torch::zeros_like(prompts.target);
  const double n = static_cast<double>(prompts.context());
  std::vector<torch::Tensor> predictions;
  for (int k = 0; k < steps; ++k) {
    const torch::Tensor gram = torch::matmul(x.transpose(1, 2), x) / n;  // (1/n) sum_i x_i x_i^T
    const torch::Tensor pull = correlate(x, residual);                   // (1/n) sum_i r_i x_i
    const torch::Tensor next_residual = residual - eta * torch::matmul(x, pull.unsqueeze(2)).squeeze(2);
    query_slot = query_slot - eta * row_dot(pull, query);
    x = x - gamma * torch::matmul(x, gram);  // gram is symmetric: x_j^T gram = (gram x_j)^T
    query = query - gamma * torch::matmul(gram, query.unsqueeze(2)).squeeze(2);
    residual = next_residual;
    predictions.push_back(-query_slot);
  }
  return torch::stack(predictions);
}

std::vector<torch::Tensor> iterative_newton_inverses(const torch::Tensor& s, int steps) {
  // Their code divides by the Frobenius norm of S S^T (alpha = 1 / ||.||_F; the paper's text writes
  // 2 / ||S S^T||_2, with which the top eigenvalue of I - S M_0 is -1 and never contracts). With
  // 1 / ||S^2||_F every eigenvalue of I - S M_0 = I - S^2 / ||S^2||_F lies in [0, 1).
  const torch::Tensor norm = torch::linalg::matrix_norm(torch::matmul(s, s.transpose(-2, -1)), "fro", {-2, -1}, false, c10::nullopt);
  const torch::Tensor alpha = torch::where(norm > 0, 1.0 / norm, torch::zeros_like(norm));  // S = 0 keeps M = 0
  const torch::Tensor identity = torch::eye(s.size(-1), s.options());
  std::vector<torch::Tensor> inverses = {alpha.unsqueeze(-1).unsqueeze(-1) * s.transpose(-2, -1)};
  for (int k = 0; k < steps; ++k) {
    const torch::Tensor& m = inverses.back();
    inverses.push_back(torch::matmul(m, 2.0 * identity - torch::matmul(s, m)));
  }
  return inverses;
}

std::vector<torch::Tensor> newton_inverses(const Prompts& prompts, int steps) {
  return iterative_newton_inverses(torch::matmul(prompts.x.transpose(1, 2), prompts.x), steps);
}

torch::Tensor newton_predictions(const Prompts& prompts, int steps) {
  const torch::Tensor xty = torch::matmul(prompts.x.transpose(1, 2), prompts.y.unsqueeze(2));  // {B, d, 1}
  std::vector<torch::Tensor> predictions;
  for (const auto& m : newton_inverses(prompts, steps)) predictions.push_back(row_dot(torch::matmul(m, xty).squeeze(2), prompts.query));
  return torch::stack(predictions);
}

torch::Tensor least_squares_predictions(const Prompts& prompts) {
  const torch::Tensor w = torch::matmul(torch::linalg::pinv(prompts.x), prompts.y.unsqueeze(2)).squeeze(2);
  return row_dot(w, prompts.query);
}

double mean_squared_error(const torch::Tensor& predictions, const torch::Tensor& targets) {
  return (predictions - targets).square().mean().item<double>();
}

double minimize_on_interval(const std::function<double(double)>& f, double low, double high) {
  constexpr int kGrid = 48;
  std::vector<double> grid(kGrid);
  int best = 0;
  double best_value = INFINITY;
  for (int i = 0; i < kGrid; ++i) {
    grid[i] = low * std::pow(high / low, static_cast<double>(i) / (kGrid - 1));
    const double value = f(grid[i]);
    if (value < best_value) best_value = value, best = i;
  }
  double a = grid[std::max(best - 1, 0)], b = grid[std::min(best + 1, kGrid - 1)];
  const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
  double c = b - ratio * (b - a), d = a + ratio * (b - a);
  double fc = f(c), fd = f(d);
  while (b - a > 1e-10 * std::abs(b)) {
    if (fc < fd) {
      b = d, d = c, fd = fc;
      c = b - ratio * (b - a), fc = f(c);
    } else {
      a = c, c = d, fc = fd;
      d = a + ratio * (b - a), fd = f(d);
    }
  }
  return (a + b) / 2.0;
}

torch::Tensor query_sensitivity(const std::function<torch::Tensor(const Prompts&)>& predict, const Prompts& prompts) {
  Prompts probe = prompts;
  probe.query = prompts.query.detach().clone().requires_grad_(true);
  const torch::Tensor total = predict(probe).sum();
  return torch::autograd::grad({total}, {probe.query})[0];
}

double mean_cosine(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::nn::functional::cosine_similarity(a, b, torch::nn::functional::CosineSimilarityFuncOptions().dim(1)).mean().item<double>();
}

}  // namespace descent::icl
