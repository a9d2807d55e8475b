#include "descent/rl/ppo.hpp"

#include <cmath>

namespace descent::rl {
namespace {

torch::Tensor normalized(const torch::Tensor& x) { return x.numel() > 1 ? (x - x.mean()) / (x.std() + 1e-8) : x - x.mean(); }

torch::Tensor value_loss(const torch::Tensor& values, const torch::Tensor& old_values, const torch::Tensor& returns, const PpoOptions& o) {
  const torch::Tensor unclipped = (values - returns).pow(2);
  if (!o.clip_value_loss) return 0.5 * unclipped.mean();
  const torch::Tensor clipped = (old_values + torch::clamp(values - old_values, -o.clip, o.clip) - returns).pow(2);
  return 0.5 * torch::max(unclipped, clipped).mean();
}

}  // namespace

Advantages generalized_advantages(const Rollout& rollout, ValueNetworkImpl& critic, double gamma, double lambda) {
  torch::NoGradGuard no_grad;
  const std::int64_t steps = rollout.rewards.size(0), copies = rollout.rewards.size(1);
  Advantages out;
  out.values = critic.forward(rollout.observations.flatten(0, 1)).reshape({steps, copies});
  const torch::Tensor next_value_at_end = critic.forward(rollout.next_observations);
  const torch::Tensor done = torch::clamp(rollout.terminated + rollout.truncated, 0.0, 1.0);
  const torch::Tensor rewards = rollout.rewards + gamma * rollout.final_values;
  out.advantages = torch::zeros_like(rollout.rewards);
  torch::Tensor next_advantage = torch::zeros({copies}, torch::kFloat64);
  for (std::int64_t t = steps - 1; t >= 0; --t) {
    const torch::Tensor next_value = t + 1 < steps ? out.values[t + 1] : next_value_at_end;
    const torch::Tensor continues = 1.0 - done[t];
    const torch::Tensor delta = rewards[t] + gamma * next_value * continues - out.values[t];
    next_advantage = delta + gamma * lambda * continues * next_advantage;
    out.advantages[t] = next_advantage;
  }
  out.returns = out.advantages + out.values;
  return out;
}

std::vector<torch::Tensor> minibatch_indices(std::int64_t n, std::int64_t parts, Rng& rng) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(order[static_cast<std::size_t>(i)], order[rng.below(static_cast<std::uint64_t>(i + 1))]);
  parts = std::max<std::int64_t>(1, std::min(parts, n));
  std::vector<torch::Tensor> batches;
  for (std::int64_t p = 0; p < parts; ++p) {
    const std::int64_t begin = n * p / parts, end = n * (p + 1) / parts;
    batches.push_back(torch::tensor(std::vector<std::int64_t>(order.begin() + begin, order.begin() + end), torch::kInt64));
  }
  return batches;
}

PpoUpdateStatistics ppo_update(PolicyNetworkImpl& policy, ValueNetworkImpl& critic, optim::Optimizer& optimizer,
                               const torch::Tensor& observations, const torch::Tensor& actions, const torch::Tensor& old_log_probs,
                               const torch::Tensor& advantages, const torch::Tensor& returns, const torch::Tensor& old_values,
                               const PpoOptions& options, Rng& rng) {
  PpoUpdateStatistics stats;
  std::int64_t minibatches_run = 0;
  double clipped = 0.0;
  for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    double epoch_kl = 0.0;
    std::int64_t epoch_batches = 0;
    for (const torch::Tensor& index : minibatch_indices(observations.size(0), options.minibatches, rng)) {
      const torch::Tensor s = observations.index_select(0, index), a = actions.index_select(0, index);
      const ActionDistribution pi = policy.distribution(s);
      const torch::Tensor log_ratio = pi.log_prob(a) - old_log_probs.index_select(0, index);
      const torch::Tensor ratio = log_ratio.exp();
      torch::Tensor advantage = advantages.index_select(0, index);
      if (options.normalize_advantages) advantage = normalized(advantage);
      const torch::Tensor policy_loss =
          torch::max(-advantage * ratio, -advantage * torch::clamp(ratio, 1.0 - options.clip, 1.0 + options.clip)).mean();
      const torch::Tensor v_loss = value_loss(critic.forward(s), old_values.index_select(0, index), returns.index_select(0, index), options);
      const torch::Tensor entropy = pi.entropy().mean();
      const torch::Tensor loss = policy_loss - options.entropy_coefficient * entropy + options.value_coefficient * v_loss;
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      {
        torch::NoGradGuard no_grad;
        epoch_kl += ((ratio - 1.0) - log_ratio).mean().item<double>();
        clipped += ((ratio - 1.0).abs() > options.clip).to(torch::kFloat64).mean().item<double>();
      }
      stats.policy_loss = policy_loss.item<double>();
      stats.value_loss = v_loss.item<double>();
      stats.entropy = entropy.item<double>();
      ++epoch_batches;
      ++minibatches_run;
    }
    stats.approx_kl = epoch_kl / static_cast<double>(epoch_batches);
    stats.epochs_run = epoch + 1;
    if (options.target_kl && stats.approx_kl > *options.target_kl) break;
  }
  stats.clip_fraction = clipped / static_cast<double>(std::max<std::int64_t>(1, minibatches_run));
  return stats;
}

std::unique_ptr<optim::Optimizer> make_optimizer(PolicyNetworkImpl& policy, ValueNetworkImpl& critic, const std::string& name,
                                                 ParamValues values, double max_grad_norm) {
  optim::ParamGroup group;
  for (const auto& item : policy.named_parameters()) {
    group.params.push_back(item.value());
    group.names.push_back("policy." + item.key());
  }
  for (const auto& item : critic.named_parameters()) {
    group.params.push_back(item.value());
    group.names.push_back("value." + item.key());
  }
  values["clip_norm"] = max_grad_norm;
  std::vector<optim::ParamGroup> groups;
  groups.push_back(std::move(group));
  return std::make_unique<optim::Optimizer>(name, values, std::move(groups));
}

}  // namespace descent::rl
