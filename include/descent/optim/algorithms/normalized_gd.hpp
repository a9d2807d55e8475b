// Normalized gradient descent, in the two forms the specs name for Tyurin, "From Logistic
// Regression to the Perceptron Algorithm: Exploring Gradient Descent with Large Step Sizes"
// (arXiv 2412.08424), whose exact rule is not settled (only the abstract could be read):
//   gradient-normalized:  x = x - lr * g / ||g||_2         (norm over the whole group)
//   loss-normalized:      x = x - lr * g / f(x)            (the "risk-adaptive" step size)
// The first is also the normalized GD of the transformers-learn-higher-order-methods spec.
#pragma once

#include <cmath>
#include <stdexcept>

#include "descent/optim/transforms.hpp"

namespace descent::optim {

template <class T>
struct ScaleByInverseGradientNorm {
  static constexpr int slots = 0;
  static constexpr bool reduces = true;
  struct Scalars {
    T inverse_norm;
  };
  double reduce_term(T g, T, const T*) const { return static_cast<double>(g) * static_cast<double>(g); }
  Scalars prepare(const StepContext&, double squared_norm) const {
    return {static_cast<T>(squared_norm > 0.0 ? 1.0 / std::sqrt(squared_norm) : 0.0)};
  }
  T apply(T g, T, T*, const Scalars& c) const { return c.inverse_norm * g; }
};

template <class T>
struct ScaleByInverseLoss {
  static constexpr int slots = 0;
  struct Scalars {
    T inverse_loss;
  };
  Scalars prepare(const StepContext& context) const {
    if (!context.loss) throw std::invalid_argument("loss-normalized GD needs the loss: call step(loss)");
    return {static_cast<T>(1.0 / *context.loss)};
  }
  T apply(T g, T, T*, const Scalars& c) const { return c.inverse_loss * g; }
};

template <class T>
using NormalizedGd = Chain<T, ScaleByInverseGradientNorm<T>, ScaleByLearningRate<T>>;
template <class T>
using LossNormalizedGd = Chain<T, ScaleByInverseLoss<T>, ScaleByLearningRate<T>>;

}  // namespace descent::optim
