// A neural ODE (Chen et al., NeurIPS 2018; Kidger's thesis, chapter 2): dy/dt = f_theta(y) with
// f_theta a small MLP, its solution computed by the solvers of ode/runge_kutta.hpp, and trained by
// backpropagation through the solver or the continuous adjoint (ode/adjoint.hpp). Also the spiral
// system that rtqichen/torchdiffeq's ode_demo fits:
//   dy/dt = (y^3) A,  A = [[-0.1, 2], [-2, -0.1]],  y(0) = (2, 0),  t in [0, 25]  (y^3 elementwise, y a row).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "descent/ode/runge_kutta.hpp"

namespace descent::ode {

// f(y) = W2 tanh(W1 phi(y) + b1) + b2 on rows of y (batch x dimension); phi is y^3 elementwise when
// `cube_inputs` (the ode_demo's choice: it lets a network of tanh units represent a cubic field),
// else the identity. Weights N(0, 0.1^2), biases 0, from the current torch seed (as ode_demo).
class NeuralVectorFieldImpl : public torch::nn::Module {
public:
  NeuralVectorFieldImpl(std::int64_t dimension, std::int64_t hidden, bool cube_inputs);
  torch::Tensor forward(const torch::Tensor& y);
  VectorField as_field();  // (t, y) -> forward(y)

private:
  torch::nn::Linear first_{nullptr}, second_{nullptr};
  bool cube_inputs_;
};
TORCH_MODULE(NeuralVectorField);

// The solution at every time of `times` (from times[0], where y0 is given): times x batch x dimension.
torch::Tensor solve(const VectorField& f, const torch::Tensor& y0, std::span<const double> times, const std::string& method,
                    const AdaptiveOptions& options = {});

struct Trajectory {
  std::vector<double> times;
  torch::Tensor states;  // times x 2, double
};

// The ode_demo spiral at `points` equally spaced times in [0, t_end], solved by Dopri5 at rtol 1e-10.
Trajectory spiral_trajectory(std::int64_t points = 1000, double t_end = 25.0);

}  // namespace descent::ode
