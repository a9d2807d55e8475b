// Explicit Runge-Kutta solvers for y' = f(t, y) on LibTorch tensors of any shape and floating type
// (Kidger, "On Neural Differential Equations", 2022, chapter 5; the tableaus are the methods'
// published coefficients, Tsit5's as patrick-kidger/diffrax lists them):
//   k_i = f(t + c_i h, y + h sum_{j<i} a_ij k_j),  y_next = y + h sum_i b_i k_i,
//   error estimate h sum_i (b_i - bhat_i) k_i for the embedded pairs (Dopri5, Tsit5).
// Every stage is an ordinary tensor operation, so autograd through a solve is backpropagation
// through the solver (discretize-then-optimize); ode/adjoint.hpp gives the continuous adjoint.
// Adaptive steps: the error in the mixed norm RMS(err / (atol + rtol max(|y|, |y_next|))), a step
// accepted when that is <= 1, the next step from a PI controller
//   h_next = h * clamp(safety * e_n^(-0.7/k) * e_(n-1)^(0.4/k), min_factor, max_factor), k = the error estimate's order + 1,
// (Soderlind's PI.3.4 gains), the first step by Hairer, Norsett &
// Wanner's starting-step algorithm (Solving ODEs I, II.4). Steps are cut to land on every output time.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace descent::ode {

using VectorField = std::function<torch::Tensor(double t, const torch::Tensor& y)>;

struct ButcherTableau {
  std::string name;
  int order = 1;                       // of the solution
  std::vector<std::vector<double>> a;  // a[i] has i entries: stage i's weights on stages 0..i-1
  std::vector<double> b, c;
  std::vector<double> b_error;         // b - bhat of the embedded lower-order solution; empty: no estimate
};

// euler, heun (the explicit trapezoid, order 2), rk4, dopri5, tsit5; ConfigError names the others.
const ButcherTableau& tableau(const std::string& name);

// One step of size h from (t, y); `error`, when given and the tableau has an estimate, receives it.
torch::Tensor runge_kutta_step(const ButcherTableau& method, const VectorField& f, double t, const torch::Tensor& y, double h,
                               torch::Tensor* error = nullptr);

// `steps` equal steps from t0 to t1 (t1 < t0 integrates backwards).
torch::Tensor integrate_fixed(const ButcherTableau& method, const VectorField& f, torch::Tensor y0, double t0, double t1, std::int64_t steps);

struct AdaptiveOptions {
  double rtol = 1e-6, atol = 1e-9;
  double first_step = 0.0;  // 0: chosen by the starting-step algorithm
  double safety = 0.9, min_factor = 0.2, max_factor = 10.0;
  std::int64_t max_steps = 100000;
};

struct SolveStatistics {
  std::int64_t accepted = 0, rejected = 0, evaluations = 0;
};

// y at each of `times` (monotone; times[0] is where y0 is given, the direction is that of the
// times). Throws ConfigError for a tableau without an error estimate or non-monotone times, and
// Error (runtime) when max_steps is exceeded or the step underflows.
std::vector<torch::Tensor> integrate_adaptive(const ButcherTableau& method, const VectorField& f, const torch::Tensor& y0,
                                              std::span<const double> times, const AdaptiveOptions& options = {},
                                              SolveStatistics* statistics = nullptr);

}  // namespace descent::ode
