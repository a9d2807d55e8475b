#include "descent/ode/adjoint.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"

namespace descent::ode {
namespace {

torch::Tensor flat(const std::vector<torch::Tensor>& pieces) {
  std::vector<torch::Tensor> flattened;
  for (const torch::Tensor& p : pieces) flattened.push_back(p.reshape({-1}));
  return torch::cat(flattened);
}

}  // namespace

AdjointGradients adjoint_gradients(const ButcherTableau& method, const VectorField& f, const std::vector<torch::Tensor>& parameters,
                                   const torch::Tensor& final_state, const torch::Tensor& loss_gradient, double t0, double t1,
                                   const AdaptiveOptions& options, SolveStatistics* statistics) {
  if (!final_state.sizes().equals(loss_gradient.sizes())) {
    throw ConfigError(fmt::format("adjoint_gradients: the loss gradient's shape differs from the state's"));
  }
  const auto state_shape = final_state.sizes().vec();
  const std::int64_t n = final_state.numel();
  std::vector<std::int64_t> parameter_sizes;
  for (const torch::Tensor& p : parameters) parameter_sizes.push_back(p.numel());

  // The augmented field on the flat state: f, then minus the vector-Jacobian products of a.
  const VectorField augmented = [&](double t, const torch::Tensor& z) {
    const torch::Tensor y = z.slice(0, 0, n).reshape(state_shape).detach().requires_grad_(true);
    const torch::Tensor a = z.slice(0, n, 2 * n).reshape(state_shape);
    torch::AutoGradMode enable(true);
    const torch::Tensor fy = f(t, y);
    std::vector<torch::Tensor> inputs = {y};
    inputs.insert(inputs.end(), parameters.begin(), parameters.end());
    const auto products = torch::autograd::grad({fy}, inputs, {a}, /*retain_graph=*/false, /*create_graph=*/false, /*allow_unused=*/true);
    std::vector<torch::Tensor> pieces = {fy.detach()};
    for (std::size_t i = 0; i < products.size(); ++i) {
      const torch::Tensor& like = i == 0 ? y : parameters[i - 1];
      pieces.push_back(products[i].defined() ? -products[i] : torch::zeros_like(like));
    }
    return flat(pieces);
  };

  std::vector<torch::Tensor> start = {final_state.detach(), loss_gradient.detach()};
  for (const torch::Tensor& p : parameters) start.push_back(torch::zeros_like(p));
  const double times[] = {t1, t0};
  torch::Tensor z;
  {
    torch::NoGradGuard no_grad;  // the backward solve itself is not differentiated
    z = integrate_adaptive(method, augmented, flat(start), times, options, statistics).back();
  }
  AdjointGradients out;
  out.initial_state = z.slice(0, n, 2 * n).reshape(state_shape);
  std::int64_t offset = 2 * n;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    out.parameters.push_back(z.slice(0, offset, offset + parameter_sizes[i]).reshape(parameters[i].sizes()));
    offset += parameter_sizes[i];
  }
  return out;
}

}  // namespace descent::ode
