// Acquisition functions for Bayesian optimization of an objective to MINIMIZE, each maximized over
// the unit cube by multi-start L-BFGS from quasi-random points (maximize_acquisition).
//   log EI:  log E[max(best - f(x), 0)], computed without underflow far from the incumbent
//   UCB:     -(mu(x) - sqrt(beta) sigma(x)), the lower confidence bound of the minimized objective
//   KG:      E_n[max_a -mu_{n+1}(a) | x sampled] - max_a -mu_n(a) over a discretization set A
//            (Frazier 2018, section 4.2), by Monte Carlo over fixed normal quantiles
#pragma once

#include <cstdint>
#include <vector>

#include "descent/tune/gaussian_process.hpp"

namespace descent::tune {

class Acquisition {
public:
  virtual ~Acquisition() = default;
  // The value at x in [0, 1]^D; writes its gradient when asked.
  virtual double evaluate(const std::vector<double>& x, std::vector<double>* gradient) const = 0;
};

// log EI for minimization at posterior mean m and standard deviation s with incumbent `best`,
// stable for any z = (best - m) / s; with d log EI / dm and d log EI / ds.
double log_expected_improvement(double mean, double sd, double best, double* d_mean = nullptr, double* d_sd = nullptr);

class LogExpectedImprovement final : public Acquisition {
public:
  LogExpectedImprovement(const GaussianProcess& gp, double best) : gp_(gp), best_(best) {}
  double evaluate(const std::vector<double>& x, std::vector<double>* gradient) const override;

private:
  const GaussianProcess& gp_;
  double best_;
};

class UpperConfidenceBound final : public Acquisition {
public:
  UpperConfidenceBound(const GaussianProcess& gp, double beta) : gp_(gp), beta_(beta) {}
  double evaluate(const std::vector<double>& x, std::vector<double>* gradient) const override;

private:
  const GaussianProcess& gp_;
  double beta_;
};

class KnowledgeGradient final : public Acquisition {
public:
  // `discretization`: the set A the maximum is taken over (x itself is always added);
  // `samples`: Monte Carlo draws, taken as the normal quantiles of (i + 1/2) / samples.
  KnowledgeGradient(const GaussianProcess& gp, std::vector<std::vector<double>> discretization, int samples = 256);
  // The gradient is by central differences on the same draws (common random numbers).
  double evaluate(const std::vector<double>& x, std::vector<double>* gradient) const override;

private:
  double value(const std::vector<double>& x) const;
  const GaussianProcess& gp_;
  GaussianProcess::PointSet discretization_;
  std::vector<double> means_;  // -mu_n over A
  double current_best_;        // max_a -mu_n(a)
  std::vector<double> normal_draws_;
};

// The argmax over [0, 1]^D from `starts` quasi-random starting points plus `extra_starts`.
std::vector<double> maximize_acquisition(const Acquisition& acquisition, int dimension, std::uint64_t seed, int starts = 10,
                                         const std::vector<std::vector<double>>& extra_starts = {});

// The standard normal quantile function (Acklam's rational approximation refined by one Newton step).
double normal_quantile(double p);

}  // namespace descent::tune
