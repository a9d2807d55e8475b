// Sequential Monte Carlo on a scalar state-space model, with exact answers to test it against.
//
// The model (any StateSpaceModel): x_0 ~ mu, x_(t+1) | x_t ~ q(x_t, .), y_t | x_t ~ g(x_t, .).
// LinearGaussian is the one with ground truth: x_(t+1) = a x_t + sigma_u u_t, y_t = x_t + sigma_v v_t,
// x_0 from the stationary law N(0, sigma_u^2 / (1 - a^2)), where the Kalman filter gives the exact
// likelihood and the Rauch-Tung-Striebel smoother the exact smoothing moments.
//
// Particle methods (Cardoso, Janati El Idrissi, Le Corff, Moulines & Olsson, "State and Parameter
// Learning with PaRIS Particle Gibbs", ICML 2023, and the algorithms it builds on):
// - the bootstrap particle filter (Gordon et al. 1993), multinomial resampling at every step, and
//   its likelihood estimate prod_t (1/N) sum_i g(xi_t^i, y_t), unbiased for the likelihood;
// - PaRIS (Olsson & Westerborn 2017) for an additive functional h = sum_t h_t(x_t, x_(t+1)): each
//   particle carries tau_(t+1)^i = (1/K) sum_(k<K) [tau_t^(J_k) + h_t(xi_t^(J_k), xi_(t+1)^i)], the J_k
//   drawn from the backward kernel P(J = l) ~ w_t^l q(xi_t^l, xi_(t+1)^i) by accept-reject against
//   the bound of q (falling back to the exact categorical draw after 32 rejections), and the
//   estimate of E[h | y_0:T] is sum_i w_T^i tau_T^i / sum_i w_T^i;
// - PaRIS particle Gibbs: PaRIS driven by conditional SMC, one particle frozen to a reference path
//   (whose backward draws may pick it), the next reference drawn by backward simulation; the
//   estimator averages the iterations after a burn-in k0, its bias shrinking geometrically in k0.
// Free of LibTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "descent/core/rng.hpp"

namespace descent::smc {

struct StateSpaceModel {
  std::function<double(Rng&)> sample_initial;
  std::function<double(double x, Rng&)> sample_transition;
  std::function<double(double x, double next)> transition_log_density;
  double transition_log_bound = 0.0;  // sup of log q(x, x') over both arguments (accept-reject)
  std::function<double(double x, double y)> observation_log_density;
};

struct LinearGaussian {
  double a = 0.9, sigma_u = 0.5, sigma_v = 1.0;

  double stationary_variance() const { return sigma_u * sigma_u / (1.0 - a * a); }
  StateSpaceModel model() const;
};

struct Simulation {
  std::vector<double> states, observations;
};

Simulation simulate(const LinearGaussian& model, std::int64_t length, Rng& rng);

struct KalmanFilter {
  std::vector<double> mean, variance;  // filtering moments of x_t given y_0:t
  double log_likelihood = 0.0;
};

KalmanFilter kalman_filter(const LinearGaussian& model, const std::vector<double>& observations);

struct RtsSmoother {
  std::vector<double> mean, variance;  // smoothing moments of x_t given y_0:T
  std::vector<double> lag_covariance;  // Cov(x_t, x_(t+1) | y_0:T), t < T
};

RtsSmoother rts_smoother(const LinearGaussian& model, const KalmanFilter& filter);

// E[sum_t x_t x_(t+1) | y_0:T] from the smoother: sum_t Cov(x_t, x_(t+1)) + m_t m_(t+1).
double expected_lag_products(const RtsSmoother& smoother);

// The bootstrap particle filter's log of its likelihood estimate, with `particles` particles.
double bootstrap_log_likelihood(const StateSpaceModel& model, const std::vector<double>& observations, std::int64_t particles, Rng& rng);

using AdditiveTerm = std::function<double(double x, double next)>;

struct ParisOptions {
  std::int64_t particles = 128;
  std::int64_t backward_draws = 2;  // K (the specs' N tilde)
};

// PaRIS's estimate of E[sum_(t<T) term(x_t, x_(t+1)) | y_0:T]. Throws ConfigError for fewer than 2
// particles or backward draws below 1, or fewer than 2 observations.
double paris(const StateSpaceModel& model, const std::vector<double>& observations, const AdditiveTerm& term, const ParisOptions& options,
             Rng& rng);

struct ConditionalParisStep {
  double estimate = 0.0;               // PaRIS's estimate from the conditional pass
  std::vector<double> next_reference;  // drawn by backward simulation from its particles
};

// One iteration of PaRIS particle Gibbs: conditional SMC with `reference` frozen as the last
// particle, PaRIS statistics on top, then the next reference. The building block of
// paris_particle_gibbs and of Markov score climbing (the model may change between iterations).
ConditionalParisStep conditional_paris(const StateSpaceModel& model, const std::vector<double>& observations, const AdditiveTerm& term,
                                       const ParisOptions& options, const std::vector<double>& reference, Rng& rng);

// A path from the bootstrap filter's approximation of the smoothing law (the chain's start).
std::vector<double> initial_reference(const StateSpaceModel& model, const std::vector<double>& observations, std::int64_t particles, Rng& rng);

struct ParticleGibbsOptions {
  ParisOptions paris{32, 2};
  std::int64_t iterations = 20;  // k
  std::int64_t burn_in = 5;      // k0: the estimator averages iterations k0 + 1 .. k
};

struct ParticleGibbsResult {
  double estimate = 0.0;                   // the average over iterations after the burn-in
  std::vector<double> per_iteration;       // each conditional PaRIS pass's estimate
  std::vector<double> reference;           // the last reference path
};

// PaRIS particle Gibbs; the first reference path is drawn by backward simulation from a plain
// bootstrap filter's particles. Throws ConfigError for burn_in >= iterations.
ParticleGibbsResult paris_particle_gibbs(const StateSpaceModel& model, const std::vector<double>& observations, const AdditiveTerm& term,
                                         const ParticleGibbsOptions& options, Rng& rng);

}  // namespace descent::smc
