#include "descent/ode/neural_ode.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"

namespace descent::ode {

NeuralVectorFieldImpl::NeuralVectorFieldImpl(std::int64_t dimension, std::int64_t hidden, bool cube_inputs)
    : first_(register_module("first", torch::nn::Linear(dimension, hidden))),
      second_(register_module("second", torch::nn::Linear(hidden, dimension))),
      cube_inputs_(cube_inputs) {
  torch::NoGradGuard no_grad;
  for (torch::nn::Linear& layer : {std::ref(first_), std::ref(second_)}) {
    layer->weight.normal_(0.0, 0.1);
    layer->bias.zero_();
  }
}

torch::Tensor NeuralVectorFieldImpl::forward(const torch::Tensor& y) {
  return second_->forward(torch::tanh(first_->forward(cube_inputs_ ? y.pow(3) : y)));
}

VectorField NeuralVectorFieldImpl::as_field() {
  return [this](double, const torch::Tensor& y) { return forward(y); };
}

torch::Tensor solve(const VectorField& f, const torch::Tensor& y0, std::span<const double> times, const std::string& method,
                    const AdaptiveOptions& options) {
  return torch::stack(integrate_adaptive(tableau(method), f, y0, times, options));
}

Trajectory spiral_trajectory(std::int64_t points, double t_end) {
  if (points < 2 || !(t_end > 0.0)) throw ConfigError(fmt::format("spiral trajectory: {} points to t = {} (need >= 2 points and t > 0)", points, t_end));
  const torch::Tensor a = torch::tensor({{-0.1, 2.0}, {-2.0, -0.1}}, torch::kFloat64);
  const VectorField spiral = [a](double, const torch::Tensor& y) { return torch::mm(y.pow(3), a); };
  Trajectory trajectory;
  for (std::int64_t i = 0; i < points; ++i) trajectory.times.push_back(t_end * static_cast<double>(i) / static_cast<double>(points - 1));
  torch::NoGradGuard no_grad;
  trajectory.states = solve(spiral, torch::tensor({{2.0, 0.0}}, torch::kFloat64), trajectory.times, "dopri5", {1e-10, 1e-12}).squeeze(1);
  return trajectory;
}

}  // namespace descent::ode
