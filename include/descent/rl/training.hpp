// Training a policy with PPO on N copies of an environment, optionally collecting with a PROPS
// behaviour policy (rl/props.hpp), as Corrado & Hanna's PPO-Buffer and PROPS agents do:
//
// - every update collects n = copies x steps_per_copy transitions (with pi_theta, or with pi_phi
//   under PROPS) and keeps the last buffer_batches x n of them;
// - PPO updates theta on the whole buffer. The "old" log-probabilities are pi_theta's own at the
//   start of the update, so the first ratio is 1: the buffer is treated as on-policy data even
//   though parts of it came from earlier policies (and, under PROPS, from pi_phi): the methods
//   bet that the data distribution, not the sampling policy, is what must match pi_theta;
// - under PROPS, every update_every transitions phi is refit to the buffer without the oldest
//   update_every transitions once the buffer is full (those are the ones the next ones replace).
//
// The target policy is evaluated at evaluation_points evenly spaced step counts (the last at the
// end), each the mean undiscounted return of evaluation_episodes episodes of pi_theta (actions
// sampled, or its mean actions with deterministic_evaluation) on separately seeded copies, so the
// curves of PPO and PROPS compare the policy being learned, not the one collecting.
#pragma once

#include <optional>
#include <vector>

#include "descent/rl/environment.hpp"
#include "descent/rl/ppo.hpp"
#include "descent/rl/props.hpp"

namespace descent::rl {

struct TrainingOptions {
  std::int64_t total_steps = 50000;   // environment steps over all copies
  std::int64_t copies = 4, steps_per_copy = 128;
  std::int64_t buffer_batches = 1;    // b
  std::optional<PropsOptions> props;  // collect with PROPS
  std::vector<std::int64_t> hidden{64, 64};
  std::int64_t evaluation_points = 10, evaluation_episodes = 10;
  bool deterministic_evaluation = false;
  std::uint64_t seed = 0;
  std::int64_t threads = 1;  // environment-stepping threads
};

struct TrainingResult {
  std::vector<std::int64_t> evaluation_steps;
  std::vector<double> evaluation_returns;
  std::vector<PpoUpdateStatistics> updates;
  std::vector<PropsUpdateStatistics> props_updates;
  std::int64_t episodes_finished = 0;
  PolicyNetwork policy{nullptr};  // the trained target policy
};

// Throws std::invalid_argument naming the option when the sizes do not fit together.
TrainingResult train_ppo(const Environment& prototype, const TrainingOptions& options, const PpoOptions& ppo);

// The mean return of `episodes` episodes of `policy` (actions sampled, or the mean actions when
// `deterministic`), copy i seeded from Rng::derived(seed, i); each episode runs until it
// terminates or is truncated.
double evaluate_policy(const Environment& prototype, PolicyNetworkImpl& policy, std::int64_t episodes, std::uint64_t seed,
                       bool deterministic = false);

}  // namespace descent::rl
