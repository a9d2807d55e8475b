#include "descent/ode/reversible_heun.hpp"

namespace descent::ode {

ReversibleHeunState reversible_heun_start(const VectorField& f, double t0, const torch::Tensor& y0) { return {t0, y0, y0, f(t0, y0)}; }

ReversibleHeunState reversible_heun_step(const VectorField& f, const ReversibleHeunState& state, double dt, torch::Tensor* error) {
  ReversibleHeunState next;
  next.t = state.t + dt;
  next.y_hat = 2 * state.y - state.y_hat + state.f_hat * dt;
  next.f_hat = f(next.t, next.y_hat);
  next.y = state.y + (state.f_hat + next.f_hat) * (dt / 2);
  if (error != nullptr) *error = (next.f_hat - state.f_hat) * (dt / 2);
  return next;
}

ReversibleHeunState reversible_heun_step_back(const VectorField& f, const ReversibleHeunState& state, double dt) {
  ReversibleHeunState previous;
  previous.t = state.t - dt;
  previous.y_hat = 2 * state.y - state.y_hat - state.f_hat * dt;
  previous.f_hat = f(previous.t, previous.y_hat);
  previous.y = state.y - (previous.f_hat + state.f_hat) * (dt / 2);
  return previous;
}

}  // namespace descent::ode
