// Target-based surrogates for stochastic optimization (SSO; Lavington, Vaswani, Babanezhad,
// Schmidt & Le Roux, ICML 2023; WilderLavington/Target-Based-Surrogates-For-Stochastic-Optimization,
// optimizers/sgd_fmdopt.py and lsopt.py) for a linear model z = X theta with the mean logistic
// loss L(z) of labels in {0, 1}. One outer step on a minibatch (one "expensive" gradient):
//   z_t = X theta_t,  g_t = dL/dz at z_t (it includes the 1/n of the mean),
//   h_t(theta) = mean_i [ g_t,i (X theta)_i / eta + ((X theta)_i - z_t,i)^2 ],
// then m inner steps of Armijo line search on h_t with the same minibatch: start at step 10,
// backtrack by 0.9 until h(theta - s grad h) <= h(theta) - 0.5 s ||grad h||^2 (at most 100 tries,
// or s < 1e-6), and grow the next inner step by `expansion`. grad h_t(theta_t) = grad L / (n eta).
#pragma once

#include <cstdint>
#include <vector>

namespace descent::repro::sso {

using Vector = std::vector<double>;

struct Data {
  std::vector<Vector> x;  // rows
  Vector y;               // 0 or 1
};

// Logistic data: x ~ N(0, I), y ~ Bernoulli(sigmoid(x . w*)) with ||w*|| = `signal`.
Data make_data(int samples, int dimension, double signal, std::uint64_t seed);

// Mean logistic loss of theta on the rows `rows` (all rows when empty).
double loss(const Data& data, const Vector& theta, const std::vector<int>& rows = {});
Vector loss_gradient(const Data& data, const Vector& theta, const std::vector<int>& rows);

struct Surrogate {
  const Data* data;
  std::vector<int> rows;
  Vector targets;    // z_t
  Vector gradients;  // g_t
  double eta;
  double value(const Vector& theta) const;
  Vector gradient(const Vector& theta) const;
};

// The surrogate of one outer step at theta on `rows`.
Surrogate make_surrogate(const Data& data, const Vector& theta, const std::vector<int>& rows, double eta);

struct InnerStats {
  int accepted = 0;     // inner steps taken (each satisfies Armijo: a step is only taken when it does)
  int cut_short = 0;    // inner loops stopped because no step within 100 tries satisfied Armijo
};

// m inner Armijo steps on h; returns the new theta.
Vector inner_steps(const Surrogate& h, Vector theta, int m, double expansion, InnerStats& stats);

}  // namespace descent::repro::sso
