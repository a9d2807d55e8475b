// Gradients of a loss of an ODE's final state by the continuous adjoint (Chen, Rubanova,
// Bettencourt & Duvenaud, "Neural Ordinary Differential Equations", NeurIPS 2018; Kidger's thesis,
// section 5.1.2; diffrax's BacksolveAdjoint): with a(t1) = dL/dy(t1), solve backwards from t1 to t0
//   dy/dt = f(t, y),  da/dt = -a^T df/dy,  dg/dt = -a^T df/dtheta,  g(t1) = 0,
// then dL/dy(t0) = a(t0) and dL/dtheta = g(t0). y is recomputed backwards rather than stored
// (O(1) memory in the number of steps), so the gradient is that of the continuous problem up to
// the solver's tolerance, not the exact gradient of the discrete forward solve (which is what
// backpropagation through the solver gives).
#pragma once

#include "descent/ode/runge_kutta.hpp"

namespace descent::ode {

struct AdjointGradients {
  torch::Tensor initial_state;            // dL/dy(t0)
  std::vector<torch::Tensor> parameters;  // dL/dtheta, one per parameter (zeros where f does not use it)
};

// f's dependence on `parameters` is through autograd: f must compute from those tensors (which
// require grad). `final_state` is y(t1) from the forward solve and `loss_gradient` dL/dy(t1).
AdjointGradients adjoint_gradients(const ButcherTableau& method, const VectorField& f, const std::vector<torch::Tensor>& parameters,
                                   const torch::Tensor& final_state, const torch::Tensor& loss_gradient, double t0, double t1,
                                   const AdaptiveOptions& options = {}, SolveStatistics* statistics = nullptr);

}  // namespace descent::ode
