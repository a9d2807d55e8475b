// Variational inference with a gradient estimator chosen per sample site (Becker, Lew, Wang, Ghavami,
// Huot, Rinard & Mansinghka, "Probabilistic Programming with Programmable Variational Inference",
// PLDI 2024, in genjax.vi's terms: normal_reparam, normal_reinforce, flip_enum, flip_reinforce).
//
// A Program draws its latent variables from the guide through a Trace and returns log p(x, z).
// The trace records log q(z) and, for REINFORCE sites, the score log q(z) at the drawn value held
// fixed. With f = log p(x, z) - log q(z):
//   ELBO surrogate:     f + stop(f) * score                      (mean over draws),
//   IWAE(K) surrogate:  L + stop(L) * sum_k score_k,  L = log (1/K) sum_k exp(f_k),
// whose gradients (autograd) are unbiased estimates of the gradients of E[f] and of
// E[log (1/K) sum_k exp f_k] in the guide's parameters: reparameterized sites carry the gradient
// through the value, REINFORCE sites through the score (E[f grad log q]), and an enumerated
// Bernoulli site sums over both values exactly (enumerated_bernoulli_elbo).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>

namespace descent::vi {

enum class Estimator { reparameterization, reinforce };

class Trace {
public:
  explicit Trace(torch::Generator& generator) : generator_(&generator) {}

  // z ~ N(mean, exp(log_scale)^2), elementwise.
  torch::Tensor normal(const torch::Tensor& mean, const torch::Tensor& log_scale, Estimator estimator);
  // b ~ Bernoulli(sigmoid(logit)) by REINFORCE (a discrete value has no reparameterization).
  torch::Tensor bernoulli(const torch::Tensor& logit);

  const torch::Tensor& log_q() const { return log_q_; }
  const torch::Tensor& score() const { return score_; }

private:
  torch::Generator* generator_;
  torch::Tensor log_q_ = torch::zeros({}, torch::kFloat64), score_ = torch::zeros({}, torch::kFloat64);
};

using Program = std::function<torch::Tensor(Trace&)>;  // returns log p(x, z), a scalar

struct Estimate {
  double value = 0.0;      // the objective's Monte Carlo estimate
  torch::Tensor surrogate;  // differentiate this for the gradient estimate
};

// The mean over `samples` independent draws of f, and its surrogate.
Estimate elbo(const Program& program, std::int64_t samples, torch::Generator& generator);

// log (1/K) sum_k exp(f_k) over K = `particles` draws (one estimate), and its surrogate.
Estimate iwae(const Program& program, std::int64_t particles, torch::Generator& generator);

// The ELBO of a model with one Bernoulli latent b, guide q(b) = Bernoulli(sigmoid(logit)), summed
// exactly over b in {0, 1}: sum_b q(b) (log_joint(b) - log q(b)) (the flip_enum estimator: no
// sampling, so its gradient is exact).
torch::Tensor enumerated_bernoulli_elbo(const torch::Tensor& logit, const std::function<torch::Tensor(double b)>& log_joint);

torch::Tensor normal_log_density(const torch::Tensor& x, const torch::Tensor& mean, const torch::Tensor& scale);

}  // namespace descent::vi
