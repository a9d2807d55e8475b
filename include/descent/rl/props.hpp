// PROPS: Proximal Robust On-Policy Sampling (Corrado & Hanna, "On-Policy Policy Gradient
// Reinforcement Learning Without On-Policy Sampling", 2024).
//
// On-policy sampling only matches the target policy pi_theta in expectation: a finite buffer
// over- or under-samples actions, and this sampling error adds variance to the policy gradient.
// PROPS collects with a behaviour policy pi_phi adapted so that the buffer, together with what
// pi_phi will add, looks as if it came from pi_theta: every m environment steps it resets
// phi <- theta and takes a few epochs of
//
//   L(phi) = mean_D max(r, clip(r, 1 - eps_P, 1 + eps_P)) + lambda mean_D KL(pi_phi(.|s) || pi_theta(.|s)),
//   r = pi_phi(a|s) / pi_theta(a|s),
//
// on the buffer D (without the m oldest transitions, which the next m will replace), stopping
// once mean((r - 1) - log r) > delta_P. This is PPO's clipped loss with every advantage -1: it
// lowers the probability of actions the buffer already holds too often, which raises that of
// the under-sampled ones. At phi = theta its gradient is mean grad log pi_phi(a|s), so the first
// descent step is robust on-policy sampling's (ROS) phi = theta - alpha grad mean log pi (the
// paper's "ROS" update, which PROPS clips and regularizes). The KL term is the exact one for
// both action spaces.
//
// Sampling error (the paper's measure of how far a buffer is from on-policy): with pi_D the
// maximum-likelihood policy of the buffer, SE = mean_D [log pi_D(a|s) - log pi_theta(a|s)], which
// estimates KL(pi_D || pi_theta). In a tabular setting pi_D(a|s) = N(s, a) / N(s) exactly
// (tabular_sampling_error); otherwise pi_D is fitted by maximum likelihood on the buffer from a
// copy of pi_theta with only the last layer (and the log standard deviations) trained
// (fitted_sampling_error; the reference code's continuous version freezes the hidden layers'
// weights but not their biases, its discrete one trains everything: the last layer alone keeps
// pi_D's features pi_theta's, so SE measures the action distribution, not a refit of the features).
#pragma once

#include <torch/torch.h>

#include <optional>

#include "descent/core/rng.hpp"
#include "descent/rl/environment.hpp"
#include "descent/rl/policy.hpp"

namespace descent::rl {

struct PropsOptions {
  std::int64_t update_every = 256;  // m: environment steps (over all copies) between behaviour updates
  double learning_rate = 1e-3;      // Adam
  double clip = 0.3;                // eps_P
  double kl_weight = 0.1;           // lambda
  std::optional<double> target_kl = 0.05;  // delta_P
  std::int64_t epochs = 16, minibatches = 4;
  double max_grad_norm = 0.5;
};

// L(phi) on the samples (observations, actions); `target` is pi_theta's distribution at them.
torch::Tensor props_loss(PolicyNetworkImpl& behaviour, const ActionDistribution& target, const torch::Tensor& observations,
                         const torch::Tensor& actions, const PropsOptions& options);

struct PropsUpdateStatistics {
  double loss = 0.0, approx_kl = 0.0;
  std::int64_t epochs_run = 0;
};

// Resets behaviour <- target, then minimizes props_loss on the samples with Adam.
PropsUpdateStatistics props_update(PolicyNetworkImpl& behaviour, PolicyNetworkImpl& target, const torch::Tensor& observations,
                                   const torch::Tensor& actions, const PropsOptions& options, Rng& rng);

// SE with pi_D(a|s) = N(s, a) / N(s): states[i] in [0, S), actions[i] in [0, A), target_probabilities
// [S][A] the target policy's. Equals sum_s N(s)/|D| KL(pi_D(.|s) || pi_theta(.|s)).
double tabular_sampling_error(const std::vector<std::int64_t>& states, const std::vector<std::int64_t>& actions,
                              const std::vector<std::vector<double>>& target_probabilities);

struct FitOptions {
  std::int64_t epochs = 250, minibatches = 1;
  double learning_rate = 1e-3;
};

// SE with pi_D fitted by maximum likelihood: a copy of `target` whose last layer (and log std)
// is trained on the buffer with Adam.
double fitted_sampling_error(PolicyNetworkImpl& target, const torch::Tensor& observations, const torch::Tensor& actions,
                             const FitOptions& options, Rng& rng);

// Collecting a buffer for a fixed target policy, the paper's sampling-error experiment: `steps`
// environment steps on `environment` (one copy), on-policy (actions from the target) or with
// PROPS (from a behaviour policy updated every options.update_every steps on all data so far).
// Returns the buffer's observations [steps, obs] and actions.
struct FixedTargetBuffer {
  torch::Tensor observations, actions;
  std::vector<double> behaviour_updates_kl;  // approx KL at the end of each PROPS update
};
FixedTargetBuffer collect_for_fixed_target(Environment& environment, PolicyNetworkImpl& target, std::int64_t steps,
                                           std::optional<PropsOptions> props, std::uint64_t seed);

}  // namespace descent::rl
