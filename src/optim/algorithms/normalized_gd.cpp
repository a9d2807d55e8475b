// The descriptions of the two normalized gradient descents (the rules:
// include/descent/optim/algorithms/normalized_gd.hpp).
#include "descent/optim/algorithms/normalized_gd.hpp"

#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

template <class T>
std::unique_ptr<Rule<T>> build_gradient_normalized(const ParamValues& resolved) {
  return chain_rule(NormalizedGd<T>{}, resolved, bind_nothing);
}

template <class T>
std::unique_ptr<Rule<T>> build_loss_normalized(const ParamValues& resolved) {
  return chain_rule(LossNormalizedGd<T>{}, resolved, bind_nothing);
}

const char* const kPaper = "Tyurin, From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent with "
                           "Large Step Sizes, arXiv 2412.08424";

OptimizerDescription gradient_normalized() {
  OptimizerDescription d;
  d.name = "normalized_gd";
  d.summary = "gradient descent normalized by the gradient norm: x -= lr * g / ||g||";
  d.paper = kPaper;
  d.params = {params::learning_rate(0.1)};
  d.step_scaling = StepScaling::global_norm;
  return d;
}

OptimizerDescription loss_normalized() {
  OptimizerDescription d;
  d.name = "loss_normalized_gd";
  d.summary = "gradient descent normalized by the loss: x -= lr * g / f(x)";
  d.paper = kPaper;
  d.params = {params::learning_rate(0.1)};
  return d;
}

const Registration gradient_normalized_registration{gradient_normalized(), build_gradient_normalized<float>,
                                                    build_gradient_normalized<double>};
const Registration loss_normalized_registration{loss_normalized(), build_loss_normalized<float>, build_loss_normalized<double>};

}  // namespace
}  // namespace descent::optim
