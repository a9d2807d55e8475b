#include "descent/batch/per_sample.hpp"

namespace descent::batch {
namespace {

torch::Tensor summed_loss(const torch::Tensor& output, const torch::Tensor& target, bool classification) {
  namespace F = torch::nn::functional;
  if (classification) return F::cross_entropy(output, target, F::CrossEntropyFuncOptions().reduction(torch::kSum));
  return F::mse_loss(output, target, F::MSELossFuncOptions().reduction(torch::kSum));
}

// Closed form for the MLP: one forward keeping each layer's input a and pre-activation z, one
// backward of the summed loss to the z's (row i of dL/dz is sample i's output gradient delta_i).
GradientStatistics closed_form(models::Mlp& mlp, const torch::Tensor& x, const torch::Tensor& y, bool classification) {
  std::vector<torch::Tensor> inputs, pre_activations;
  torch::Tensor a = x.flatten(1);
  for (std::size_t l = 0; l < mlp.layers.size(); ++l) {
    inputs.push_back(a);
    torch::Tensor z = mlp.layers[l]->forward(a);
    pre_activations.push_back(z);
    a = l + 1 < mlp.layers.size() ? mlp.activate(z) : z;
  }
  const auto deltas = torch::autograd::grad({summed_loss(a, y, classification)}, pre_activations);
  const std::int64_t b = x.size(0);
  torch::Tensor norm_squared = torch::zeros({b}, torch::kFloat64);
  torch::Tensor dot = torch::zeros({b}, torch::kFloat64);
  double mean_norm_squared = 0.0;
  for (std::size_t l = 0; l < deltas.size(); ++l) {
    const torch::Tensor delta = deltas[l].to(torch::kFloat64), input = inputs[l].detach().to(torch::kFloat64);
    const torch::Tensor mean_weight = delta.t().mm(input) / static_cast<double>(b);  // (out, in)
    const torch::Tensor mean_bias = delta.mean(0);
    // ||delta_i a_i^T||^2 = ||delta_i||^2 ||a_i||^2, plus the bias part ||delta_i||^2.
    const torch::Tensor delta_sq = delta.pow(2).sum(1);
    norm_squared += delta_sq * (input.pow(2).sum(1) + 1.0);
    // <delta_i a_i^T, W> = delta_i^T W a_i, plus <delta_i, b>.
    dot += (delta.mm(mean_weight) * input).sum(1) + delta.mv(mean_bias);
    mean_norm_squared += mean_weight.pow(2).sum().item<double>() + mean_bias.pow(2).sum().item<double>();
  }
  GradientStatistics s;
  s.norm_squared.assign(norm_squared.data_ptr<double>(), norm_squared.data_ptr<double>() + b);
  s.dot_mean.assign(dot.data_ptr<double>(), dot.data_ptr<double>() + b);
  s.mean_norm_squared = mean_norm_squared;
  return s;
}

}  // namespace

GradientStatistics per_sample_statistics_by_loop(models::Model& model, const torch::Tensor& x, const torch::Tensor& y,
                                                 bool classification) {
  const auto parameters = model.parameters();
  const std::int64_t b = x.size(0);
  auto gradient_of = [&](std::int64_t i) {
    const auto grads = torch::autograd::grad({summed_loss(model.forward(x.slice(0, i, i + 1)), y.slice(0, i, i + 1), classification)},
                                             parameters);
    std::vector<torch::Tensor> flat;
    for (const auto& g : grads) flat.push_back(g.reshape(-1).to(torch::kFloat64));
    return torch::cat(flat);
  };
  // Two passes (the mean first), so that b gradients never sit in memory at once.
  torch::Tensor mean;
  GradientStatistics s;
  for (std::int64_t i = 0; i < b; ++i) {
    const torch::Tensor g = gradient_of(i);
    mean = mean.defined() ? mean + g : g.clone();
    s.norm_squared.push_back(g.pow(2).sum().item<double>());
  }
  mean /= static_cast<double>(b);
  s.mean_norm_squared = mean.pow(2).sum().item<double>();
  for (std::int64_t i = 0; i < b; ++i) s.dot_mean.push_back(gradient_of(i).dot(mean).item<double>());
  return s;
}

GradientStatistics per_sample_statistics(models::Model& model, const torch::Tensor& x, const torch::Tensor& y,
                                         bool classification) {
  if (auto* mlp = dynamic_cast<models::Mlp*>(&model); mlp && mlp->norms.empty()) return closed_form(*mlp, x, y, classification);
  return per_sample_statistics_by_loop(model, x, y, classification);
}

}  // namespace descent::batch
