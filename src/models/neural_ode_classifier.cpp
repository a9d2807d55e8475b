#include "descent/models/neural_ode_classifier.hpp"

#include "descent/ode/runge_kutta.hpp"

namespace descent::models {

NeuralOdeClassifier::NeuralOdeClassifier(std::int64_t inputs, std::int64_t augment, const std::vector<std::int64_t>& hidden,
                                         std::int64_t outputs, std::string activation, std::string solver, std::int64_t steps)
    : augment_(augment), solver_(std::move(solver)), steps_(steps) {
  ode::tableau(solver_);  // an unknown solver fails here, not at the first forward
  field = register_module("field", std::make_shared<Mlp>(inputs + augment, hidden, inputs + augment, std::move(activation)));
  readout = register_module("readout", torch::nn::Linear(inputs + augment, outputs));
}

torch::Tensor NeuralOdeClassifier::flow(const torch::Tensor& x) {
  torch::Tensor h = x.flatten(1);
  if (augment_ > 0) h = torch::cat({h, torch::zeros({h.size(0), augment_}, h.options())}, 1);
  const ode::VectorField g = [this](double, const torch::Tensor& state) { return field->forward(state); };
  const ode::ButcherTableau& method = ode::tableau(solver_);
  if (method.b_error.empty()) return ode::integrate_fixed(method, g, h, 0.0, 1.0, steps_);
  const double times[] = {0.0, 1.0};
  return ode::integrate_adaptive(method, g, h, times, {1e-3, 1e-6, 1.0 / static_cast<double>(steps_)}).back();
}

torch::Tensor NeuralOdeClassifier::forward(torch::Tensor x) { return readout->forward(flow(x)); }

LayerTrace NeuralOdeClassifier::trace(torch::Tensor x) {
  LayerTrace trace;
  const torch::Tensor h = flow(x);
  trace.record("flow", h);
  trace.output = readout->forward(h);
  return trace;
}

}  // namespace descent::models
