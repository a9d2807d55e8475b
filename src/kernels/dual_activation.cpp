#include "descent/kernels/dual_activation.hpp"

#include <Eigen/Dense>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "descent/core/error.hpp"

namespace descent::kernels {
namespace {

struct Rule {
  std::vector<double> nodes, weights;
};

// Golub & Welsch (1969): the nodes of a Gauss rule are the eigenvalues of the Jacobi matrix of
// its orthogonal polynomials' recurrence, the weights the total mass times the squared first
// components of the unit eigenvectors.
Rule golub_welsch(const Eigen::VectorXd& diagonal, const Eigen::VectorXd& off_diagonal, double mass) {
  const Eigen::Index n = diagonal.size();
  Eigen::MatrixXd jacobi = diagonal.asDiagonal();
  for (Eigen::Index k = 1; k < n; ++k) jacobi(k, k - 1) = jacobi(k - 1, k) = off_diagonal(k - 1);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(jacobi);
  Rule rule;
  for (Eigen::Index i = 0; i < n; ++i) {
    rule.nodes.push_back(solver.eigenvalues()(i));
    rule.weights.push_back(mass * solver.eigenvectors()(0, i) * solver.eigenvectors()(0, i));
  }
  return rule;
}

// Gauss-Laguerre: integral_0^inf f(t) exp(-t) dt (recurrence: diagonal 2k + 1, off-diagonal k).
Rule gauss_laguerre(int n) {
  Eigen::VectorXd diagonal(n), off(std::max(n - 1, 0));
  for (int k = 0; k < n; ++k) diagonal(k) = 2 * k + 1;
  for (int k = 1; k < n; ++k) off(k - 1) = k;
  return golub_welsch(diagonal, off, 1.0);
}

// Gauss-Legendre on [-1, 1] (diagonal 0, off-diagonal k / sqrt(4k^2 - 1)).
Rule gauss_legendre(int n) {
  Eigen::VectorXd diagonal = Eigen::VectorXd::Zero(n), off(std::max(n - 1, 0));
  for (int k = 1; k < n; ++k) off(k - 1) = k / std::sqrt(4.0 * k * k - 1.0);
  return golub_welsch(diagonal, off, 2.0);
}

struct PolarRule {
  Rule radial, angular;
};

// E[g(z1, z2)] (both of g's values) for independent standard normals, in polar coordinates: (1 / 2 pi) times the
// integral over the angle of integral_0^inf g(sqrt(2t) (cos a, sin a)) exp(-t) dt. The angle is
// split where u or v changes sign, so a kink at 0 (ReLU's, a step's) falls between pieces: within
// one, relu(u) relu(v) is r^2 times a smooth function of the angle, exact under Laguerre in t = r^2 / 2.
template <class F>
DualValues polar_expectation(const PolarRule& rule, double c1, double c2, F&& g) {
  std::vector<double> cuts = {M_PI / 2, 3 * M_PI / 2};  // u = sqrt(q11) z1 = 0
  const double v_zero = std::atan2(-c1, c2);            // v = c1 z1 + c2 z2 = 0
  for (double angle : {v_zero, v_zero + M_PI}) cuts.push_back(std::fmod(angle + 4 * M_PI, 2 * M_PI));
  cuts.push_back(0.0);
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(2 * M_PI);
  DualValues sum;
  for (std::size_t piece = 0; piece + 1 < cuts.size(); ++piece) {
    const double half = (cuts[piece + 1] - cuts[piece]) / 2, middle = (cuts[piece + 1] + cuts[piece]) / 2;
    if (half <= 0) continue;
    for (std::size_t i = 0; i < rule.angular.nodes.size(); ++i) {
      const double angle = middle + half * rule.angular.nodes[i];
      const double cos_a = std::cos(angle), sin_a = std::sin(angle);
      const double weight = half * rule.angular.weights[i] / (2 * M_PI);
      for (std::size_t j = 0; j < rule.radial.nodes.size(); ++j) {
        const double r = std::sqrt(2 * rule.radial.nodes[j]);
        const DualValues point = g(r * cos_a, r * sin_a);
        sum.value += weight * rule.radial.weights[j] * point.value;
        sum.derivative += weight * rule.radial.weights[j] * point.derivative;
      }
    }
  }
  return sum;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

ScalarActivation scalar_activation(const std::string& name) {
  if (name == "relu") return {[](double x) { return x > 0 ? x : 0.0; }, [](double x) { return x > 0 ? 1.0 : 0.0; }};
  if (name == "tanh") return {[](double x) { return std::tanh(x); }, [](double x) { return 1.0 - std::tanh(x) * std::tanh(x); }};
  if (name == "erf") return {[](double x) { return std::erf(x); }, [](double x) { return 2.0 / std::sqrt(M_PI) * std::exp(-x * x); }};
  if (name == "sigmoid") {
    return {[](double x) { return 1.0 / (1.0 + std::exp(-x)); },
            [](double x) {
              const double s = 1.0 / (1.0 + std::exp(-x));
              return s * (1.0 - s);
            }};
  }
  if (name == "gelu") {
    return {[](double x) { return x * normal_cdf(x); },
            [](double x) { return normal_cdf(x) + x * std::exp(-x * x / 2) / std::sqrt(2 * M_PI); }};
  }
  if (name == "identity") return {[](double x) { return x; }, [](double) { return 1.0; }};
  throw ConfigError(fmt::format("activation '{}': the dual activations know relu, tanh, erf, sigmoid, gelu, identity", name));
}

DualActivation quadrature_dual(ScalarActivation activation, int nodes) {
  if (nodes < 1) throw ConfigError(fmt::format("dual activation: {} quadrature nodes", nodes));
  auto rule = std::make_shared<const PolarRule>(PolarRule{gauss_laguerre(nodes), gauss_legendre(nodes)});
  return [activation = std::move(activation), rule](double q11, double q22, double q12) {
    const double a = std::sqrt(q11);
    const double c1 = a > 0 ? q12 / a : 0.0;
    const double c2 = std::sqrt(std::max(q22 - c1 * c1, 0.0));
    return polar_expectation(*rule, c1, c2, [&](double z1, double z2) {
      const double u = a * z1, v = c1 * z1 + c2 * z2;
      return DualValues{activation.value(u) * activation.value(v), activation.derivative(u) * activation.derivative(v)};
    });
  };
}

DualValues erf_dual(double q11, double q22, double q12) {
  const double denominator = (1 + 2 * q11) * (1 + 2 * q22);
  return {2 / M_PI * std::asin(2 * q12 / std::sqrt(denominator)), 4 / M_PI / std::sqrt(denominator - 4 * q12 * q12)};
}

}  // namespace descent::kernels
