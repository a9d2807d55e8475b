// A neural ODE classifier (Chen et al., NeurIPS 2018; augmented as Dupont, Doucet & Teh,
// "Augmented Neural ODEs", NeurIPS 2019): the flattened input x, with `augment` zeros appended,
// is the initial state h(0) of dh/dt = g(h), g an MLP from the state's dimension through the
// hidden widths back to it; h(1) from an ode/ solver feeds a linear readout. Gradients are
// backpropagation through the solver. [model] kind = "neural_ode".
#pragma once

#include <string>

#include "descent/models/models.hpp"

namespace descent::models {

struct NeuralOdeClassifier : Model {
  // `solver`: euler, heun or rk4 take `steps` equal steps; dopri5 and tsit5 adapt theirs (rtol
  // 1e-3, atol 1e-6, first step 1/steps). Throws ConfigError for an unknown solver.
  NeuralOdeClassifier(std::int64_t inputs, std::int64_t augment, const std::vector<std::int64_t>& hidden, std::int64_t outputs,
                      std::string activation, std::string solver, std::int64_t steps);
  torch::Tensor forward(torch::Tensor x) override;
  // "flow": h(1), the state the readout sees.
  LayerTrace trace(torch::Tensor x) override;

  std::shared_ptr<Mlp> field;  // g, its parameters named field.fc1.weight, ...
  torch::nn::Linear readout{nullptr};

private:
  torch::Tensor flow(const torch::Tensor& x);
  std::int64_t augment_;
  std::string solver_;
  std::int64_t steps_;
};

}  // namespace descent::models
