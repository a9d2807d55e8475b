// Optimistic online mirror descent with the Euclidean mirror map (Chen, Zhang, Tu, Zhao & Zhang,
// "Optimistic Online Mirror Descent for Bridging Stochastic and Adversarial Online Convex
// Optimization", JMLR 2024 / ICML 2023), on a Euclidean ball of radius R:
//   x_t       = P(xhat_t - eta_t M_t)           M_t = g_{t-1}, the last gradient (optimism)
//   xhat_{t+1} = P(xhat_t - eta_t g_t)          g_t = grad f_t(x_t)
//   eta_t = min(D / sqrt(delta + sum_{s<t} ||g_s - M_s||^2), 1 / (4 L))      (smooth convex case)
// and plain online gradient descent x_{t+1} = P(x_t - D / (G sqrt(t)) g_t) as the baseline.
#pragma once

#include <cmath>
#include <vector>

namespace descent::repro::oomd {

using Vector = std::vector<double>;

// Euclidean projection onto the ball of radius `radius` around the origin: exact.
inline Vector project_to_ball(Vector x, double radius) {
  double norm = 0;
  for (const double v : x) norm += v * v;
  norm = std::sqrt(norm);
  if (norm > radius) {
    for (auto& v : x) v *= radius / norm;
  }
  return x;
}

struct OptimisticOmd {
  double radius, diameter, smoothness, delta = 1.0;
  Vector xhat, hint;
  double accumulated = 0.0;  // sum of ||g_s - M_s||^2

  OptimisticOmd(std::size_t dimension, double radius_, double smoothness_)
      : radius(radius_), diameter(2 * radius_), smoothness(smoothness_), xhat(dimension, 0.0), hint(dimension, 0.0) {}

  double step_size() const { return std::min(diameter / std::sqrt(delta + accumulated), 1.0 / (4 * smoothness)); }

  // The point to play this round.
  Vector play() const {
    Vector x = xhat;
    const double eta = step_size();
    for (std::size_t j = 0; j < x.size(); ++j) x[j] -= eta * hint[j];
    return project_to_ball(x, radius);
  }

  // After the round: the gradient observed at the played point.
  void observe(const Vector& gradient) {
    const double eta = step_size();
    for (std::size_t j = 0; j < xhat.size(); ++j) xhat[j] -= eta * gradient[j];
    xhat = project_to_ball(xhat, radius);
    for (std::size_t j = 0; j < xhat.size(); ++j) accumulated += (gradient[j] - hint[j]) * (gradient[j] - hint[j]);
    hint = gradient;
  }
};

struct OnlineGradientDescent {
  double radius, diameter, gradient_bound;
  Vector x;
  long t = 0;

  OnlineGradientDescent(std::size_t dimension, double radius_, double gradient_bound_)
      : radius(radius_), diameter(2 * radius_), gradient_bound(gradient_bound_), x(dimension, 0.0) {}

  Vector play() const { return x; }
  void observe(const Vector& gradient) {
    ++t;
    const double eta = diameter / (gradient_bound * std::sqrt(static_cast<double>(t)));
    for (std::size_t j = 0; j < x.size(); ++j) x[j] -= eta * gradient[j];
    x = project_to_ball(x, radius);
  }
};

}  // namespace descent::repro::oomd
