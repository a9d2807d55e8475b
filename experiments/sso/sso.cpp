#include "sso.hpp"

#include <cmath>

#include "descent/core/rng.hpp"

namespace descent::repro::sso {
namespace {

double dot(const Vector& a, const Vector& b) {
  double s = 0;
  for (std::size_t j = 0; j < a.size(); ++j) s += a[j] * b[j];
  return s;
}

std::vector<int> all_rows(const Data& data) {
  std::vector<int> rows(data.x.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int>(i);
  return rows;
}

double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }
double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

}  // namespace

Data make_data(int samples, int dimension, double signal, std::uint64_t seed) {
  Rng rng(seed);
  Vector w(static_cast<std::size_t>(dimension));
  double norm = 0;
  for (auto& v : w) norm += (v = rng.normal()) * v;
  for (auto& v : w) v *= signal / std::sqrt(norm);
  Data data;
  for (int i = 0; i < samples; ++i) {
    Vector x(static_cast<std::size_t>(dimension));
    for (auto& v : x) v = rng.normal();
    data.y.push_back(rng.uniform() < sigmoid(dot(x, w)) ? 1.0 : 0.0);
    data.x.push_back(x);
  }
  return data;
}

double loss(const Data& data, const Vector& theta, const std::vector<int>& rows_given) {
  const auto rows = rows_given.empty() ? all_rows(data) : rows_given;
  double total = 0;
  for (const int i : rows) {
    const double z = dot(data.x[i], theta);
    total += softplus(z) - data.y[i] * z;  // -y log sigma(z) - (1 - y) log(1 - sigma(z))
  }
  return total / static_cast<double>(rows.size());
}

Vector loss_gradient(const Data& data, const Vector& theta, const std::vector<int>& rows) {
  Vector g(theta.size(), 0.0);
  for (const int i : rows) {
    const double residual = (sigmoid(dot(data.x[i], theta)) - data.y[i]) / static_cast<double>(rows.size());
    for (std::size_t j = 0; j < g.size(); ++j) g[j] += residual * data.x[i][j];
  }
  return g;
}

Surrogate make_surrogate(const Data& data, const Vector& theta, const std::vector<int>& rows, double eta) {
  Surrogate h{&data, rows, {}, {}, eta};
  for (const int i : rows) {
    const double z = dot(data.x[i], theta);
    h.targets.push_back(z);
    h.gradients.push_back((sigmoid(z) - data.y[i]) / static_cast<double>(rows.size()));  // dL/dz_i of the mean loss
  }
  return h;
}

double Surrogate::value(const Vector& theta) const {
  double total = 0;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const double z = dot(data->x[rows[k]], theta);
    total += gradients[k] * z / eta + (z - targets[k]) * (z - targets[k]);
  }
  return total / static_cast<double>(rows.size());
}

Vector Surrogate::gradient(const Vector& theta) const {
  Vector g(theta.size(), 0.0);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& x = data->x[rows[k]];
    const double coefficient = (gradients[k] / eta + 2 * (dot(x, theta) - targets[k])) / static_cast<double>(rows.size());
    for (std::size_t j = 0; j < g.size(); ++j) g[j] += coefficient * x[j];
  }
  return g;
}

Vector inner_steps(const Surrogate& h, Vector theta, int m, double expansion, InnerStats& stats) {
  double step = 10.0;  // reset at every outer step, as the reference code does
  for (int k = 0; k < m; ++k) {
    const Vector g = h.gradient(theta);
    const double g2 = dot(g, g), value = h.value(theta);
    Vector candidate = theta;
    bool found = false;
    for (int tries = 0; tries < 100 && step >= 1e-6; ++tries) {
      for (std::size_t j = 0; j < theta.size(); ++j) candidate[j] = theta[j] - step * g[j];
      if (h.value(candidate) <= value - 0.5 * step * g2) {
        found = true;
        break;
      }
      step *= 0.9;
    }
    if (!found) {
      // The reference code would take its last trial step here; descent stops the inner loop, so
      // that every step taken satisfies the condition.
      stats.cut_short += 1;
      break;
    }
    stats.accepted += 1;
    theta = candidate;
    step *= expansion;
  }
  return theta;
}

}  // namespace descent::repro::sso
