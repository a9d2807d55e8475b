#include "descent/attack/attacks.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"

namespace descent::attack {
namespace {

namespace F = torch::nn::functional;

torch::Tensor summed_loss(const torch::Tensor& output, const torch::Tensor& y, bool classification) {
  if (classification) return F::cross_entropy(output, y, F::CrossEntropyFuncOptions().reduction(torch::kSum));
  return F::mse_loss(output, y.reshape(output.sizes()), F::MSELossFuncOptions().reduction(torch::kSum));
}

// Per-example norms of a batch, shaped to broadcast against it: {B, 1, ..., 1}.
torch::Tensor example_norms(const torch::Tensor& t, double p) {
  std::vector<std::int64_t> shape(static_cast<std::size_t>(t.dim()), 1);
  shape[0] = t.size(0);
  return t.reshape({t.size(0), -1}).norm(p, 1).reshape(shape);
}

torch::Tensor clip(torch::Tensor x, const AttackOptions& options) {
  const auto bound = [](const std::optional<double>& value) { return value ? c10::optional<at::Scalar>(*value) : c10::nullopt; };
  if (options.clip_min || options.clip_max) x = x.clamp(bound(options.clip_min), bound(options.clip_max));
  return x;
}

// A direction of steepest ascent for the norm: sign(g) for L-infinity, g / ||g||_2 for L2.
torch::Tensor ascent_direction(const torch::Tensor& gradient, Norm norm) {
  if (norm == Norm::linf) return gradient.sign();
  return gradient / example_norms(gradient, 2).clamp_min(1e-30);
}

// A uniform point of the ball: L-infinity per coordinate; L2 a uniform direction with radius
// eps u^(1/n) (n the example's dimension).
torch::Tensor random_start(const torch::Tensor& x, Norm norm, double eps, torch::Generator& generator) {
  if (norm == Norm::linf) return x + (2 * torch::rand(x.sizes(), generator, x.options()) - 1) * eps;
  const torch::Tensor direction = torch::randn(x.sizes(), generator, x.options());
  const double n = static_cast<double>(x.numel() / x.size(0));
  std::vector<std::int64_t> shape(static_cast<std::size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  const torch::Tensor radius = eps * torch::rand(shape, generator, x.options()).pow(1.0 / n);
  return x + direction / example_norms(direction, 2) * radius;
}

}  // namespace

torch::Tensor input_gradient(models::Model& model, const torch::Tensor& x, const torch::Tensor& y, bool classification) {
  torch::AutoGradMode enable(true);
  const torch::Tensor input = x.detach().clone().requires_grad_(true);
  const torch::Tensor loss = summed_loss(model.forward(input), y, classification);
  return torch::autograd::grad({loss}, {input})[0];  // autograd::grad: the parameters' .grad stay as they were
}

torch::Tensor project(const torch::Tensor& x, const torch::Tensor& center, Norm norm, double eps) {
  const torch::Tensor delta = x - center;
  if (norm == Norm::linf) return center + delta.clamp(-eps, eps);
  return center + delta * (eps / example_norms(delta, 2).clamp_min(eps));  // shrinks only what lies outside
}

torch::Tensor perturb(models::Model& model, const torch::Tensor& x, const torch::Tensor& y, bool classification,
                      const AttackOptions& options, torch::Generator& generator) {
  const std::string& kind = options.kind;
  if (kind != "fgsm" && kind != "bim" && kind != "pgd" && kind != "mim") {
    throw ConfigError(fmt::format("attack '{}': expected fgsm, bim, pgd or mim", kind));
  }
  if (options.norm == Norm::l2 && kind != "pgd") throw ConfigError(fmt::format("attack '{}' is an L-infinity attack; only pgd has an L2 form", kind));
  const torch::Tensor center = x.detach();
  if (kind == "fgsm") return clip(center + options.eps * input_gradient(model, center, y, classification).sign(), options);

  torch::Tensor adversarial = kind == "pgd" ? clip(random_start(center, options.norm, options.eps, generator), options) : center;
  torch::Tensor accumulated = torch::zeros_like(center);
  for (int step = 0; step < options.steps; ++step) {
    torch::Tensor gradient = input_gradient(model, adversarial, y, classification);
    if (kind == "mim") {
      accumulated = options.momentum * accumulated + gradient / example_norms(gradient, 1).clamp_min(1e-30);
      gradient = accumulated;
    }
    adversarial = clip(project(adversarial + options.step_size * ascent_direction(gradient, options.norm), center, options.norm, options.eps), options);
  }
  return adversarial;
}

}  // namespace descent::attack
