#include "gbnn.hpp"

#include <cmath>

namespace descent::repro::gbnn {
namespace {

torch::Tensor unit_outputs(const Stage& s, const torch::Tensor& x) {
  return torch::sigmoid(x.mm(s.hidden_weight.t()) + s.hidden_bias).mm(s.output_weight.t()).squeeze(1) + s.output_bias;
}

// Fits a J-unit net to targets r by L-BFGS on squared loss + L2, as sklearn's MLPRegressor does.
Stage fit_stage(const torch::Tensor& x, const torch::Tensor& r, const Options& options) {
  const std::int64_t d = x.size(1), n = x.size(0);
  // Glorot-uniform initialization for logistic units (sklearn's factor for 'logistic' is 2).
  const double bound_in = std::sqrt(2.0 * 6.0 / static_cast<double>(d + options.units));
  const double bound_out = std::sqrt(2.0 * 6.0 / static_cast<double>(options.units + 1));
  auto w1 = (torch::rand({options.units, d}, torch::kFloat64) * 2 - 1).mul_(bound_in).requires_grad_(true);
  auto b1 = (torch::rand({options.units}, torch::kFloat64) * 2 - 1).mul_(bound_in).requires_grad_(true);
  auto w2 = (torch::rand({1, options.units}, torch::kFloat64) * 2 - 1).mul_(bound_out).requires_grad_(true);
  auto b2 = (torch::rand({1}, torch::kFloat64) * 2 - 1).mul_(bound_out).requires_grad_(true);
  torch::optim::LBFGS lbfgs({w1, b1, w2, b2}, torch::optim::LBFGSOptions(1.0).max_iter(options.lbfgs_iterations).line_search_fn("strong_wolfe"));
  auto closure = [&] {
    lbfgs.zero_grad();
    const torch::Tensor prediction = torch::sigmoid(x.mm(w1.t()) + b1).mm(w2.t()).squeeze(1) + b2;
    const torch::Tensor loss = 0.5 * (prediction - r).pow(2).mean() +
                               0.5 * options.l2 * (w1.pow(2).sum() + w2.pow(2).sum()) / static_cast<double>(n);
    loss.backward();
    return loss;
  };
  lbfgs.step(closure);
  return {w1.detach(), b1.detach(), w2.detach(), b2.detach().item<double>(), 0.0};
}

}  // namespace

double mean_loss(const torch::Tensor& f, const torch::Tensor& y) {
  return torch::nn::functional::softplus(-2 * y * f).mean().item<double>();
}

torch::Tensor Booster::staged(const torch::Tensor& x, std::size_t stages_used) const {
  torch::Tensor f = torch::full({x.size(0)}, f0, torch::kFloat64);
  for (std::size_t t = 0; t < std::min(stages_used, stages.size()); ++t) f = f + stages[t].rho * unit_outputs(stages[t], x);
  return f;
}

Booster fit(const torch::Tensor& x, const torch::Tensor& y, const Options& options, std::uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard outer_no_grad;  // only the stage fits need gradients
  Booster booster;
  const double mean_y = y.mean().item<double>();
  booster.f0 = 0.5 * std::log((1 + mean_y) / (1 - mean_y));
  torch::Tensor f = torch::full({x.size(0)}, booster.f0, torch::kFloat64);
  const auto half = static_cast<std::int64_t>(options.subsample * static_cast<double>(x.size(0)));
  for (int t = 0; t < options.stages; ++t) {
    const torch::Tensor r = 2 * y / (1 + torch::exp(2 * y * f));
    const torch::Tensor rows = torch::randperm(x.size(0)).slice(0, 0, half);
    Stage stage;
    {
      torch::AutoGradMode enable(true);
      stage = fit_stage(x.index_select(0, rows), r.index_select(0, rows), options);
    }
    const torch::Tensor h = unit_outputs(stage, x);
    const double numerator = (r * h).sum().item<double>();
    const double denominator = (r * h.pow(2) * (2 * y - r)).sum().item<double>();
    stage.rho = denominator != 0.0 ? options.eta * numerator / denominator : 0.0;
    f = f + stage.rho * h;
    booster.stages.push_back(stage);
    booster.training_loss.push_back(mean_loss(f, y));
  }
  return booster;
}

Network assemble(const Booster& booster, std::size_t stages_used) {
  std::vector<torch::Tensor> w1, b1, w2;
  double bias = booster.f0;
  for (std::size_t t = 0; t < std::min(stages_used, booster.stages.size()); ++t) {
    const Stage& s = booster.stages[t];
    w1.push_back(s.hidden_weight);
    b1.push_back(s.hidden_bias);
    w2.push_back(s.rho * s.output_weight);
    bias += s.rho * s.output_bias;
  }
  constexpr double kMultiplier = 2.0;  // the binary loss's logit is 2F
  return {torch::cat(w1, 0), torch::cat(b1, 0), kMultiplier * torch::cat(w2, 1), kMultiplier * bias};
}

torch::Tensor Network::forward(const torch::Tensor& x) const {
  return torch::sigmoid(x.mm(hidden_weight.t()) + hidden_bias).mm(output_weight.t()).squeeze(1) + output_bias;
}

}  // namespace descent::repro::gbnn
