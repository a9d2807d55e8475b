#include "descent/smc/state_space.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "descent/core/error.hpp"

namespace descent::smc {
namespace {

constexpr double kLogRootTwoPi = 0.91893853320467274178;  // log sqrt(2 pi)
constexpr int kRejectionsBeforeExactDraw = 32;

double normal_log_density(double x, double mean, double sd) {
  const double z = (x - mean) / sd;
  return -0.5 * z * z - std::log(sd) - kLogRootTwoPi;
}

// Weights proportional to exp(log_weights), as cumulative sums for inverse-CDF draws.
struct Categorical {
  std::vector<double> weights, cumulative;  // exp(log w - max), and their running sums
  explicit Categorical(const std::vector<double>& log_weights) {
    const double top = *std::max_element(log_weights.begin(), log_weights.end());
    double sum = 0.0;
    for (const double lw : log_weights) {
      weights.push_back(std::exp(lw - top));
      cumulative.push_back(sum += weights.back());
    }
  }
  double total() const { return cumulative.back(); }
  double weight(std::size_t i) const { return weights[i]; }
  std::size_t draw(Rng& rng) const {
    const auto found = std::upper_bound(cumulative.begin(), cumulative.end(), rng.uniform() * total());
    return std::min(static_cast<std::size_t>(found - cumulative.begin()), cumulative.size() - 1);
  }
};

// log((1/N) sum_i exp(log_weights_i)).
double log_mean_exp(const std::vector<double>& log_weights) {
  const double top = *std::max_element(log_weights.begin(), log_weights.end());
  double sum = 0.0;
  for (const double lw : log_weights) sum += std::exp(lw - top);
  return top + std::log(sum / static_cast<double>(log_weights.size()));
}

// J ~ P(J = l) proportional to w^l q(particles^l, next): the weight by inverse CDF, q by accept-reject
// against its bound; after kRejectionsBeforeExactDraw rejections, the exact categorical draw.
std::size_t backward_index(const StateSpaceModel& model, const std::vector<double>& particles, const Categorical& weights, double next,
                           Rng& rng) {
  for (int attempt = 0; attempt < kRejectionsBeforeExactDraw; ++attempt) {
    const std::size_t l = weights.draw(rng);
    if (std::log(rng.uniform()) < model.transition_log_density(particles[l], next) - model.transition_log_bound) return l;
  }
  std::vector<double> log_weights;
  for (std::size_t l = 0; l < particles.size(); ++l) {
    log_weights.push_back(std::log(weights.weight(l)) + model.transition_log_density(particles[l], next));
  }
  return Categorical(log_weights).draw(rng);
}

struct Sweep {
  std::vector<std::vector<double>> particles, log_weights;  // [t][i]
  double estimate = 0.0;                                   // of the additive functional (when a term is given)
  double log_likelihood = 0.0;
};

// One pass of the (conditional, when `reference` is given: its path is particle N - 1) bootstrap
// filter, carrying PaRIS's statistics when `term` is set.
Sweep forward_sweep(const StateSpaceModel& model, const std::vector<double>& y, const AdditiveTerm* term, const ParisOptions& options,
                    const std::vector<double>* reference, Rng& rng) {
  const auto n = static_cast<std::size_t>(options.particles);
  const std::size_t frozen = reference ? n - 1 : n;  // index of the reference particle (n: none)
  Sweep sweep;
  std::vector<double> x(n), lw(n), tau(n, 0.0), next_tau(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = i == frozen ? (*reference)[0] : model.sample_initial(rng);
    lw[i] = model.observation_log_density(x[i], y[0]);
  }
  sweep.log_likelihood = log_mean_exp(lw);
  sweep.particles.push_back(x);
  sweep.log_weights.push_back(lw);
  for (std::size_t t = 0; t + 1 < y.size(); ++t) {
    const Categorical weights(lw);
    std::vector<double> next(n);
    for (std::size_t i = 0; i < n; ++i) next[i] = i == frozen ? (*reference)[t + 1] : model.sample_transition(x[weights.draw(rng)], rng);
    if (term != nullptr) {
      for (std::size_t i = 0; i < n; ++i) {
        double sum = 0.0;
        for (std::int64_t k = 0; k < options.backward_draws; ++k) {
          const std::size_t j = backward_index(model, x, weights, next[i], rng);
          sum += tau[j] + (*term)(x[j], next[i]);
        }
        next_tau[i] = sum / static_cast<double>(options.backward_draws);
      }
      tau.swap(next_tau);
    }
    x = std::move(next);
    for (std::size_t i = 0; i < n; ++i) lw[i] = model.observation_log_density(x[i], y[t + 1]);
    sweep.log_likelihood += log_mean_exp(lw);
    sweep.particles.push_back(x);
    sweep.log_weights.push_back(lw);
  }
  if (term != nullptr) {
    const Categorical weights(lw);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += weights.weight(i) * tau[i];
    sweep.estimate = sum / weights.total();
  }
  return sweep;
}

// A path drawn from the particle approximation of the joint smoothing law (backward simulation).
std::vector<double> backward_path(const StateSpaceModel& model, const Sweep& sweep, Rng& rng) {
  const std::size_t length = sweep.particles.size();
  std::vector<double> path(length);
  path[length - 1] = sweep.particles[length - 1][Categorical(sweep.log_weights[length - 1]).draw(rng)];
  for (std::size_t t = length - 1; t-- > 0;) {
    std::vector<double> log_weights;
    for (std::size_t l = 0; l < sweep.particles[t].size(); ++l) {
      log_weights.push_back(sweep.log_weights[t][l] + model.transition_log_density(sweep.particles[t][l], path[t + 1]));
    }
    path[t] = sweep.particles[t][Categorical(log_weights).draw(rng)];
  }
  return path;
}

void check(const ParisOptions& options, const std::vector<double>& observations) {
  if (options.particles < 2 || options.backward_draws < 1 || observations.size() < 2) {
    throw ConfigError(fmt::format("PaRIS: {} particles (at least 2), {} backward draws (at least 1), {} observations (at least 2)",
                                  options.particles, options.backward_draws, observations.size()));
  }
}

}  // namespace

StateSpaceModel LinearGaussian::model() const {
  const LinearGaussian m = *this;
  StateSpaceModel model;
  model.sample_initial = [m](Rng& rng) { return std::sqrt(m.stationary_variance()) * rng.normal(); };
  model.sample_transition = [m](double x, Rng& rng) { return m.a * x + m.sigma_u * rng.normal(); };
  model.transition_log_density = [m](double x, double next) { return normal_log_density(next, m.a * x, m.sigma_u); };
  model.transition_log_bound = -std::log(m.sigma_u) - kLogRootTwoPi;
  model.observation_log_density = [m](double x, double y) { return normal_log_density(y, x, m.sigma_v); };
  return model;
}

Simulation simulate(const LinearGaussian& model, std::int64_t length, Rng& rng) {
  Simulation s;
  double x = std::sqrt(model.stationary_variance()) * rng.normal();
  for (std::int64_t t = 0; t < length; ++t) {
    if (t > 0) x = model.a * x + model.sigma_u * rng.normal();
    s.states.push_back(x);
    s.observations.push_back(x + model.sigma_v * rng.normal());
  }
  return s;
}

KalmanFilter kalman_filter(const LinearGaussian& model, const std::vector<double>& observations) {
  KalmanFilter filter;
  double predicted_mean = 0.0, predicted_variance = model.stationary_variance();
  const double noise = model.sigma_v * model.sigma_v;
  for (const double y : observations) {
    const double innovation_variance = predicted_variance + noise;
    filter.log_likelihood += normal_log_density(y, predicted_mean, std::sqrt(innovation_variance));
    const double gain = predicted_variance / innovation_variance;
    filter.mean.push_back(predicted_mean + gain * (y - predicted_mean));
    filter.variance.push_back((1.0 - gain) * predicted_variance);
    predicted_mean = model.a * filter.mean.back();
    predicted_variance = model.a * model.a * filter.variance.back() + model.sigma_u * model.sigma_u;
  }
  return filter;
}

RtsSmoother rts_smoother(const LinearGaussian& model, const KalmanFilter& filter) {
  const std::size_t length = filter.mean.size();
  RtsSmoother smoother{filter.mean, filter.variance, std::vector<double>(length > 0 ? length - 1 : 0)};
  if (length < 2) return smoother;
  for (std::size_t t = length - 1; t-- > 0;) {
    const double predicted = model.a * model.a * filter.variance[t] + model.sigma_u * model.sigma_u;
    const double gain = filter.variance[t] * model.a / predicted;
    smoother.mean[t] = filter.mean[t] + gain * (smoother.mean[t + 1] - model.a * filter.mean[t]);
    smoother.variance[t] = filter.variance[t] + gain * gain * (smoother.variance[t + 1] - predicted);
    smoother.lag_covariance[t] = gain * smoother.variance[t + 1];
  }
  return smoother;
}

double expected_lag_products(const RtsSmoother& smoother) {
  double sum = 0.0;
  for (std::size_t t = 0; t < smoother.lag_covariance.size(); ++t) sum += smoother.lag_covariance[t] + smoother.mean[t] * smoother.mean[t + 1];
  return sum;
}

double bootstrap_log_likelihood(const StateSpaceModel& model, const std::vector<double>& observations, std::int64_t particles, Rng& rng) {
  check({particles, 1}, observations);
  return forward_sweep(model, observations, nullptr, {particles, 1}, nullptr, rng).log_likelihood;
}

double paris(const StateSpaceModel& model, const std::vector<double>& observations, const AdditiveTerm& term, const ParisOptions& options,
             Rng& rng) {
  check(options, observations);
  return forward_sweep(model, observations, &term, options, nullptr, rng).estimate;
}

ConditionalParisStep conditional_paris(const StateSpaceModel& model, const std::vector<double>& observations, const AdditiveTerm& term,
                                       const ParisOptions& options, const std::vector<double>& reference, Rng& rng) {
  check(options, observations);
  if (reference.size() != observations.size()) {
    throw ConfigError(fmt::format("conditional PaRIS: a reference path of {} states for {} observations", reference.size(), observations.size()));
  }
  const Sweep sweep = forward_sweep(model, observations, &term, options, &reference, rng);
  return {sweep.estimate, backward_path(model, sweep, rng)};
}

std::vector<double> initial_reference(const StateSpaceModel& model, const std::vector<double>& observations, std::int64_t particles, Rng& rng) {
  check({particles, 1}, observations);
  return backward_path(model, forward_sweep(model, observations, nullptr, {particles, 1}, nullptr, rng), rng);
}

ParticleGibbsResult paris_particle_gibbs(const StateSpaceModel& model, const std::vector<double>& observations, const AdditiveTerm& term,
                                         const ParticleGibbsOptions& options, Rng& rng) {
  check(options.paris, observations);
  if (options.burn_in < 0 || options.burn_in >= options.iterations) {
    throw ConfigError(fmt::format("PaRIS particle Gibbs: burn-in {} must lie in [0, iterations = {})", options.burn_in, options.iterations));
  }
  ParticleGibbsResult result;
  result.reference = initial_reference(model, observations, options.paris.particles, rng);
  double sum = 0.0;
  for (std::int64_t k = 0; k < options.iterations; ++k) {
    ConditionalParisStep step = conditional_paris(model, observations, term, options.paris, result.reference, rng);
    result.per_iteration.push_back(step.estimate);
    if (k >= options.burn_in) sum += step.estimate;
    result.reference = std::move(step.next_reference);
  }
  result.estimate = sum / static_cast<double>(options.iterations - options.burn_in);
  return result;
}

}  // namespace descent::smc
