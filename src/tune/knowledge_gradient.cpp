// The knowledge gradient (Frazier, Powell & Dayanik 2009; Frazier 2018, section 4.2) for
// minimization over a discretization A: sampling x moves the posterior mean at every a in A by
// sigma~(a, x) Z with Z ~ N(0, 1), sigma~(a, x) = Sigma_n(a, x) / sqrt(sigma_n^2(x) + lambda^2), so
//   KG(x) = E[max_a (-mu_n(a) - sigma~(a, x) Z)] - max_a -mu_n(a)   (>= 0; 0 where sigma_n(x) = 0).
// The expectation is a Monte Carlo average over fixed normal quantiles, the same for every x, so
// KG is a deterministic, piecewise-smooth function that central differences can climb.
#include <algorithm>
#include <cmath>

#include "descent/tune/acquisition.hpp"

namespace descent::tune {

KnowledgeGradient::KnowledgeGradient(const GaussianProcess& gp, std::vector<std::vector<double>> discretization, int samples)
    : gp_(gp), discretization_(gp.prepare(std::move(discretization))) {
  current_best_ = -INFINITY;
  for (const auto& a : discretization_.points) {
    means_.push_back(-gp_.predict(a).mean);
    current_best_ = std::max(current_best_, means_.back());
  }
  for (int i = 0; i < samples; ++i) normal_draws_.push_back(normal_quantile((i + 0.5) / samples));
}

double KnowledgeGradient::value(const std::vector<double>& x) const {
  const Prediction px = gp_.predict(x);
  const double scale = std::sqrt(px.variance + gp_.noise_variance());
  if (scale <= 0) return 0.0;
  std::vector<double> slopes;  // -sigma~(a, x) for a in A, then x itself
  const Eigen::VectorXd covariances = gp_.posterior_covariances(x, discretization_);
  for (Eigen::Index a = 0; a < covariances.size(); ++a) slopes.push_back(-covariances(a) / scale);
  std::vector<double> means = means_;
  means.push_back(-px.mean);
  slopes.push_back(-px.variance / scale);
  // max over A including x: -mu_n(x) counts among the candidates too.
  const double best_now = std::max(current_best_, means.back());
  double sum = 0.0;
  for (const double z : normal_draws_) {
    double best = -INFINITY;
    for (std::size_t a = 0; a < means.size(); ++a) best = std::max(best, means[a] + slopes[a] * z);
    sum += best;
  }
  return std::max(0.0, sum / static_cast<double>(normal_draws_.size()) - best_now);
}

double KnowledgeGradient::evaluate(const std::vector<double>& x, std::vector<double>* gradient) const {
  const double v = value(x);
  if (gradient) {
    gradient->resize(x.size());
    constexpr double h = 1e-5;
    for (std::size_t d = 0; d < x.size(); ++d) {
      std::vector<double> up = x, down = x;
      up[d] = std::min(1.0, x[d] + h);
      down[d] = std::max(0.0, x[d] - h);
      (*gradient)[d] = (value(up) - value(down)) / (up[d] - down[d]);
    }
  }
  return v;
}

}  // namespace descent::tune
