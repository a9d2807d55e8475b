// A neural controlled differential equation (Kidger, Morrill, Foster & Lyons, NeurIPS 2020; Kidger's
// thesis, chapter 3): a hidden state driven by a path X interpolated from the observations,
//   z(s_0) = zeta(X(s_0)),   dz = f_theta(z) dX(s),   output = readout(z(s_end)),
// with f_theta(z) a hidden x channels matrix. It is solved as the ODE dz/ds = f_theta(z) dX/ds(s)
// by a fixed-step Runge-Kutta method, `steps_per_interval` steps inside each interval of the path
// so that no step straddles a knot (where the linear path's derivative jumps), and trained by
// backpropagation through the solver. f_theta is an MLP with softplus hidden units and a tanh on
// its last layer (diffrax's neural CDE example): the tanh keeps the field bounded, and a smooth
// hidden unit keeps the solver at its order (a ReLU's kinks cut RK4 to about first order).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "descent/ode/control_path.hpp"
#include "descent/ode/runge_kutta.hpp"

namespace descent::ode {

// z at the path's last knot, from z0 (batch x hidden), for any field F(z) -> batch x hidden x channels.
using ControlledField = std::function<torch::Tensor(const torch::Tensor& z)>;
torch::Tensor solve_cde(const ButcherTableau& method, const ControlledField& field, const ControlPath& path, torch::Tensor z0,
                        std::int64_t steps_per_interval);

struct NeuralCdeOptions {
  std::int64_t channels = 1, hidden = 8, width = 64, outputs = 1;
  std::string method = "rk4";
  std::int64_t steps_per_interval = 1;
};

class NeuralCdeImpl : public torch::nn::Module {
public:
  explicit NeuralCdeImpl(const NeuralCdeOptions& options);
  // The readout of z at the path's end: batch x outputs.
  torch::Tensor forward(const ControlPath& path);
  torch::Tensor terminal_state(const ControlPath& path);
  // f_theta(z): batch x hidden x channels.
  torch::Tensor field(const torch::Tensor& z);

private:
  NeuralCdeOptions options_;
  torch::nn::Linear initial_{nullptr}, first_{nullptr}, second_{nullptr}, readout_{nullptr};
};
TORCH_MODULE(NeuralCde);

// Kidger's CDE demonstration data (torchcde's example): series on a decaying spiral
//   (x, y) = (cos(t + phase), sin(t + phase)) / (1 + t / 2),  t in [0, 4 pi],  phase uniform,
// every other one mirrored (x -> -x: it turns clockwise; label 1), with N(0, noise^2) added to x and y.
// Each series keeps `observed` of `length` equally spaced times, chosen at random per series, so the
// series are irregularly sampled and no two share their times. Its values: count x observed x 3
// channels (t / (4 pi), x, y), double. Every point cloud is the same up to rotation for both labels:
// only the order of the points tells the direction.
struct IrregularSeries {
  torch::Tensor values, labels;  // labels: count, int64
};
IrregularSeries irregular_spirals(std::int64_t count, std::int64_t length, std::int64_t observed, double noise, std::uint64_t seed);

}  // namespace descent::ode
