#include "descent/vi/variational.hpp"

#include <fmt/format.h>

#include <cmath>

#include "descent/core/error.hpp"

namespace descent::vi {
namespace {

constexpr double kLogRootTwoPi = 0.91893853320467274178;

struct Draw {
  torch::Tensor f, score;  // log p - log q, and the REINFORCE score
};

Draw draw(const Program& program, torch::Generator& generator) {
  Trace trace(generator);
  const torch::Tensor log_p = program(trace);
  return {log_p - trace.log_q(), trace.score()};
}

void check_count(std::int64_t count, const char* what) {
  if (count < 1) throw ConfigError(fmt::format("{}: {} draws (must be positive)", what, count));
}

}  // namespace

torch::Tensor normal_log_density(const torch::Tensor& x, const torch::Tensor& mean, const torch::Tensor& scale) {
  return (-0.5 * ((x - mean) / scale).pow(2) - scale.log() - kLogRootTwoPi).sum();
}

torch::Tensor Trace::normal(const torch::Tensor& mean, const torch::Tensor& log_scale, Estimator estimator) {
  const torch::Tensor scale = log_scale.exp();
  const torch::Tensor noise = torch::randn(mean.sizes(), *generator_, torch::kFloat64);
  if (estimator == Estimator::reparameterization) {
    const torch::Tensor z = mean + scale * noise;
    log_q_ = log_q_ + normal_log_density(z, mean, scale);
    return z;
  }
  const torch::Tensor z = (mean + scale * noise).detach();
  const torch::Tensor log_q = normal_log_density(z, mean, scale);
  log_q_ = log_q_ + log_q;
  score_ = score_ + log_q;
  return z;
}

torch::Tensor Trace::bernoulli(const torch::Tensor& logit) {
  const torch::Tensor p = torch::sigmoid(logit.detach());
  const torch::Tensor b = torch::bernoulli(p, *generator_);
  // log q(b) = b log sigmoid(logit) + (1 - b) log sigmoid(-logit)
  const torch::Tensor log_q = (b * torch::log_sigmoid(logit) + (1 - b) * torch::log_sigmoid(-logit)).sum();
  log_q_ = log_q_ + log_q;
  score_ = score_ + log_q;
  return b;
}

Estimate elbo(const Program& program, std::int64_t samples, torch::Generator& generator) {
  check_count(samples, "elbo");
  torch::Tensor surrogate = torch::zeros({}, torch::kFloat64);
  double value = 0.0;
  for (std::int64_t s = 0; s < samples; ++s) {
    const Draw d = draw(program, generator);
    surrogate = surrogate + d.f + d.f.detach() * d.score;
    value += d.f.item<double>();
  }
  const double n = static_cast<double>(samples);
  return {value / n, surrogate / n};
}

Estimate iwae(const Program& program, std::int64_t particles, torch::Generator& generator) {
  check_count(particles, "iwae");
  std::vector<torch::Tensor> weights;
  torch::Tensor score = torch::zeros({}, torch::kFloat64);
  for (std::int64_t k = 0; k < particles; ++k) {
    const Draw d = draw(program, generator);
    weights.push_back(d.f);
    score = score + d.score;
  }
  const torch::Tensor bound = torch::logsumexp(torch::stack(weights), 0) - std::log(static_cast<double>(particles));
  return {bound.item<double>(), bound + bound.detach() * score};
}

torch::Tensor enumerated_bernoulli_elbo(const torch::Tensor& logit, const std::function<torch::Tensor(double b)>& log_joint) {
  const torch::Tensor log_q1 = torch::log_sigmoid(logit), log_q0 = torch::log_sigmoid(-logit);
  return (log_q1.exp() * (log_joint(1.0) - log_q1) + log_q0.exp() * (log_joint(0.0) - log_q0)).sum();
}

}  // namespace descent::vi
