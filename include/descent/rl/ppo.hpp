// Proximal policy optimization (Schulman, Wolski, Dhariwal, Radford & Klimov, 2017), with the
// details that make it work as published implementations run it (Huang et al. 2022):
//
//   advantages  generalized advantage estimation (Schulman et al. 2016):
//               delta_t = r_t + gamma V(s_(t+1)) (1 - done_t) - V(s_t),
//               A_t = delta_t + gamma lambda (1 - done_t) A_(t+1); returns R_t = A_t + V(s_t).
//               A time-limit truncation (not also a termination) bootstraps:
//               r_t += gamma V(final observation).
//   policy loss mean over a minibatch of max(-A r, -A clip(r, 1 - eps, 1 + eps)),
//               r = pi_theta(a|s) / pi_old(a|s), A normalized per minibatch (mean 0, std 1)
//   value loss  1/2 mean max((V - R)^2, (V_old + clip(V - V_old, -eps, eps) - R)^2)
//   total       policy - c_ent entropy + c_v value; global gradient norm clipped to 0.5;
//               epochs over shuffled minibatches, stopped early once the approximate KL
//               mean((r - 1) - log r) (Schulman's k3 estimator) exceeds target_kl.
//
// The optimizer is any of descent's (optim::Optimizer, Adam with eps 1e-5 by default) over the
// actor's and the critic's parameters together, the learning rate annealed by a descent schedule.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>

#include "descent/core/param_spec.hpp"
#include "descent/core/rng.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "descent/rl/policy.hpp"
#include "descent/schedule/schedule.hpp"

namespace descent::rl {

struct PpoOptions {
  double gamma = 0.99, gae_lambda = 0.95;
  double clip = 0.2;
  std::int64_t epochs = 10, minibatches = 32;
  std::optional<double> target_kl = 0.03;
  double entropy_coefficient = 0.01, value_coefficient = 0.5;
  bool clip_value_loss = true, normalize_advantages = true;
  double max_grad_norm = 0.5;
  std::string optimizer = "adam";
  ParamValues optimizer_values{{"lr", 1e-3}, {"eps", 1e-5}};
  // The learning rate's factor per update over the run (linear decay to 0, as PPO anneals it).
  schedule::ScheduleSpec learning_rate_schedule = schedule::default_spec("linear");
};

// Rollout data laid out [time, copies] (time-major), float64.
struct Rollout {
  torch::Tensor observations;  // [T, N, obs]
  torch::Tensor actions;       // [T, N] int64 or [T, N, dimension]
  torch::Tensor rewards;       // [T, N], truncation bootstrap not yet added
  torch::Tensor terminated, truncated;  // [T, N] 0/1
  torch::Tensor final_values;  // [T, N]: V(final observation) where truncated and not terminated, else 0
  torch::Tensor next_observations;  // [N, obs]: the observations after the last step
};

struct Advantages {
  torch::Tensor advantages, returns, values;  // [T, N]
};

// GAE over the rollout with the critic's current values.
Advantages generalized_advantages(const Rollout& rollout, ValueNetworkImpl& critic, double gamma, double lambda);

struct PpoUpdateStatistics {
  double policy_loss = 0.0, value_loss = 0.0, entropy = 0.0, approx_kl = 0.0, clip_fraction = 0.0;
  std::int64_t epochs_run = 0;
};

// One PPO update on flattened samples. `old_log_probs` are the log-probabilities the ratio is
// taken against (PROPS passes the current policy's own, so the ratio starts at 1).
PpoUpdateStatistics ppo_update(PolicyNetworkImpl& policy, ValueNetworkImpl& critic, optim::Optimizer& optimizer,
                               const torch::Tensor& observations, const torch::Tensor& actions, const torch::Tensor& old_log_probs,
                               const torch::Tensor& advantages, const torch::Tensor& returns, const torch::Tensor& old_values,
                               const PpoOptions& options, Rng& rng);

// A random split of [0, n) into `parts` minibatches of near-equal size (Fisher-Yates with rng).
std::vector<torch::Tensor> minibatch_indices(std::int64_t n, std::int64_t parts, Rng& rng);

// The optimizer over the actor's and the critic's parameters as one group, its clip_norm set to
// max_grad_norm (descent's fused global-norm clip, torch's clip_grad_norm_ rule).
std::unique_ptr<optim::Optimizer> make_optimizer(PolicyNetworkImpl& policy, ValueNetworkImpl& critic, const std::string& name,
                                                 ParamValues values, double max_grad_norm);

}  // namespace descent::rl
