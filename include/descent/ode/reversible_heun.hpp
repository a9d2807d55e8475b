// The reversible Heun method (Kidger, Foster, Li & Lyons, "Efficient and Accurate Gradients for
// Neural SDEs", NeurIPS 2021; Kidger's thesis, section 5.4; diffrax's ReversibleHeun):
//   yhat_(n+1) = 2 y_n - yhat_n + f(t_n, yhat_n) dt,
//   y_(n+1)    = y_n + (f(t_n, yhat_n) + f(t_(n+1), yhat_(n+1))) dt / 2,
// with yhat_0 = y_0 and an error estimate (f(t_(n+1), yhat_(n+1)) - f(t_n, yhat_n)) dt / 2. It is
// algebraically reversible: from (y_(n+1), yhat_(n+1)) the step back is
//   yhat_n = 2 y_(n+1) - yhat_(n+1) - f(t_(n+1), yhat_(n+1)) dt,
//   y_n    = y_(n+1) - (f(t_n, yhat_n) + f(t_(n+1), yhat_(n+1))) dt / 2,
// so a backward pass can rebuild every state instead of storing it (O(1) memory gradients). One
// evaluation of f per step: the value at yhat is carried along.
#pragma once

#include "descent/ode/runge_kutta.hpp"

namespace descent::ode {

struct ReversibleHeunState {
  double t = 0.0;
  torch::Tensor y, y_hat, f_hat;  // f_hat = f(t, y_hat)
};

ReversibleHeunState reversible_heun_start(const VectorField& f, double t0, const torch::Tensor& y0);

// One step of size dt forward; `error`, when given, receives the estimate above.
ReversibleHeunState reversible_heun_step(const VectorField& f, const ReversibleHeunState& state, double dt, torch::Tensor* error = nullptr);

// The exact inverse of reversible_heun_step(f, ., dt): the state dt earlier.
ReversibleHeunState reversible_heun_step_back(const VectorField& f, const ReversibleHeunState& state, double dt);

}  // namespace descent::ode
