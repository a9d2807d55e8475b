// Analytic test problems with known minima, for optimizer convergence checks and experiments.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "descent/core/rng.hpp"

namespace descent::problems {

struct Problem {
  std::string name;
  std::vector<double> start;
  double minimum = 0.0;  // f* (the infimum for separable logistic regression is 0, never reached)
  virtual ~Problem() = default;
  virtual double value(const std::vector<double>& x) const = 0;
  virtual std::vector<double> gradient(const std::vector<double>& x) const = 0;
};

// f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1), from (-1.2, 1).
struct Rosenbrock : Problem {
  Rosenbrock() {
    name = "rosenbrock";
    start = {-1.2, 1.0};
  }
  double value(const std::vector<double>& x) const override {
    return std::pow(1 - x[0], 2) + 100 * std::pow(x[1] - x[0] * x[0], 2);
  }
  std::vector<double> gradient(const std::vector<double>& x) const override {
    return {-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] * x[0]), 200 * (x[1] - x[0] * x[0])};
  }
};

// f(x) = 0.5 sum_i h_i x_i^2 with h log-spaced from 1 to `condition` (condition number 100 by
// default), minimum 0 at the origin, from x = 1.
struct IllConditionedQuadratic : Problem {
  std::vector<double> curvature;
  explicit IllConditionedQuadratic(int dimension = 10, double condition = 100.0) {
    name = "quadratic";
    start.assign(static_cast<std::size_t>(dimension), 1.0);
    for (int i = 0; i < dimension; ++i) curvature.push_back(std::pow(condition, static_cast<double>(i) / (dimension - 1)));
  }
  double value(const std::vector<double>& x) const override {
    double f = 0;
    for (std::size_t i = 0; i < x.size(); ++i) f += 0.5 * curvature[i] * x[i] * x[i];
    return f;
  }
  std::vector<double> gradient(const std::vector<double>& x) const override {
    std::vector<double> g(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) g[i] = curvature[i] * x[i];
    return g;
  }
};

// Mean logistic loss on linearly separable data: labels y = sign(w*.a) with a margin; the loss
// tends to 0 as ||x|| grows along a separating direction. Starts at 0.
struct SeparableLogistic : Problem {
  std::vector<std::vector<double>> a;
  std::vector<double> y;
  SeparableLogistic(int samples = 200, int dimension = 5, double margin = 0.1, std::uint64_t seed = 7) {
    name = "logistic";
    start.assign(static_cast<std::size_t>(dimension), 0.0);
    Rng rng(seed);
    std::vector<double> w(static_cast<std::size_t>(dimension));
    double norm = 0;
    for (auto& v : w) norm += (v = rng.normal()) * v;
    for (auto& v : w) v /= std::sqrt(norm);
    while (static_cast<int>(a.size()) < samples) {
      std::vector<double> point(static_cast<std::size_t>(dimension));
      double projection = 0;
      for (int j = 0; j < dimension; ++j) projection += (point[j] = rng.normal()) * w[j];
      if (std::abs(projection) < margin) continue;  // keep a margin around the separator
      a.push_back(point);
      y.push_back(projection > 0 ? 1.0 : -1.0);
    }
  }
  double value(const std::vector<double>& x) const override {
    double f = 0;
    for (std::size_t i = 0; i < a.size(); ++i) f += std::log1p(std::exp(-y[i] * dot(a[i], x)));
    return f / static_cast<double>(a.size());
  }
  std::vector<double> gradient(const std::vector<double>& x) const override {
    std::vector<double> g(x.size(), 0.0);
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double s = 1.0 / (1.0 + std::exp(y[i] * dot(a[i], x)));  // sigma(-y a.x)
      for (std::size_t j = 0; j < x.size(); ++j) g[j] -= y[i] * a[i][j] * s / static_cast<double>(a.size());
    }
    return g;
  }
  // Fraction of samples on the wrong side of the separator x.
  double error_rate(const std::vector<double>& x) const {
    int wrong = 0;
    for (std::size_t i = 0; i < a.size(); ++i) wrong += y[i] * dot(a[i], x) <= 0;
    return static_cast<double>(wrong) / static_cast<double>(a.size());
  }
  static double dot(const std::vector<double>& u, const std::vector<double>& v) {
    double s = 0;
    for (std::size_t j = 0; j < u.size(); ++j) s += u[j] * v[j];
    return s;
  }
};

}  // namespace descent::problems
