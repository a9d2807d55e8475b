#include "descent/rl/props.hpp"

#include <cmath>
#include <stdexcept>

#include "descent/optim/torch_optimizers.hpp"
#include "descent/rl/ppo.hpp"

namespace descent::rl {

torch::Tensor props_loss(PolicyNetworkImpl& behaviour, const ActionDistribution& target, const torch::Tensor& observations,
                         const torch::Tensor& actions, const PropsOptions& options) {
  const ActionDistribution phi = behaviour.distribution(observations);
  const torch::Tensor ratio = (phi.log_prob(actions) - target.log_prob(actions)).exp();
  const torch::Tensor clipped = torch::max(ratio, torch::clamp(ratio, 1.0 - options.clip, 1.0 + options.clip)).mean();
  return clipped + options.kl_weight * phi.kl_divergence(target).mean();
}

PropsUpdateStatistics props_update(PolicyNetworkImpl& behaviour, PolicyNetworkImpl& target, const torch::Tensor& observations,
                                   const torch::Tensor& actions, const PropsOptions& options, Rng& rng) {
  behaviour.copy_from(target);
  PropsUpdateStatistics stats;
  if (observations.size(0) == 0) return stats;
  optim::Optimizer adam("adam", {{"lr", options.learning_rate}, {"clip_norm", options.max_grad_norm}}, behaviour.named_parameters());
  ActionDistribution theta;  // fixed through the update: computed once
  torch::Tensor theta_log_prob;
  {
    torch::NoGradGuard no_grad;
    theta = target.distribution(observations);
    if (theta.log_std.defined()) theta.log_std = theta.log_std.detach();  // the live parameter: keep theta's gradient out
    theta_log_prob = theta.log_prob(actions);
  }
  for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    for (const torch::Tensor& index : minibatch_indices(observations.size(0), options.minibatches, rng)) {
      const torch::Tensor loss = props_loss(behaviour, theta.rows(index), observations.index_select(0, index), actions.index_select(0, index), options);
      adam.zero_grad();
      loss.backward();
      adam.step();
      stats.loss = loss.item<double>();
    }
    stats.epochs_run = epoch + 1;
    torch::NoGradGuard no_grad;
    const torch::Tensor log_ratio = behaviour.log_prob(observations, actions) - theta_log_prob;
    stats.approx_kl = ((log_ratio.exp() - 1.0) - log_ratio).mean().item<double>();
    if (options.target_kl && stats.approx_kl > *options.target_kl) break;
  }
  return stats;
}

double tabular_sampling_error(const std::vector<std::int64_t>& states, const std::vector<std::int64_t>& actions,
                              const std::vector<std::vector<double>>& target_probabilities) {
  if (states.size() != actions.size() || states.empty()) throw std::invalid_argument("tabular_sampling_error: needs as many states as actions, at least one");
  const std::size_t state_count = target_probabilities.size(), action_count = target_probabilities.front().size();
  std::vector<std::vector<double>> counts(state_count, std::vector<double>(action_count, 0.0));
  std::vector<double> visits(state_count, 0.0);
  for (std::size_t i = 0; i < states.size(); ++i) {
    counts.at(static_cast<std::size_t>(states[i])).at(static_cast<std::size_t>(actions[i])) += 1.0;
    visits[static_cast<std::size_t>(states[i])] += 1.0;
  }
  double total = 0.0;  // sum over the buffer of log pi_D(a|s) - log pi_theta(a|s), grouped by (s, a)
  for (std::size_t s = 0; s < state_count; ++s) {
    for (std::size_t a = 0; a < action_count; ++a) {
      if (counts[s][a] == 0.0) continue;
      total += counts[s][a] * (std::log(counts[s][a] / visits[s]) - std::log(target_probabilities[s][a]));
    }
  }
  return total / static_cast<double>(states.size());
}

double fitted_sampling_error(PolicyNetworkImpl& target, const torch::Tensor& observations, const torch::Tensor& actions,
                             const FitOptions& options, Rng& rng) {
  PolicyNetwork fitted = duplicate(target);
  std::vector<optim::ParamGroup> groups(1);
  for (const auto& item : fitted->named_parameters()) {
    const bool last_layer = item.key().rfind("head.", 0) == 0 || item.key() == "log_std";
    item.value().set_requires_grad(last_layer);
    if (!last_layer) continue;
    groups[0].params.push_back(item.value());
    groups[0].names.push_back(item.key());
  }
  optim::Optimizer adam("adam", {{"lr", options.learning_rate}}, std::move(groups));
  for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    for (const torch::Tensor& index : minibatch_indices(observations.size(0), options.minibatches, rng)) {
      const torch::Tensor loss = -fitted->log_prob(observations.index_select(0, index), actions.index_select(0, index)).mean();
      adam.zero_grad();
      loss.backward();
      adam.step();
    }
  }
  torch::NoGradGuard no_grad;
  return (fitted->log_prob(observations, actions) - target.log_prob(observations, actions)).mean().item<double>();
}

FixedTargetBuffer collect_for_fixed_target(Environment& environment, PolicyNetworkImpl& target, std::int64_t steps,
                                           std::optional<PropsOptions> props, std::uint64_t seed) {
  const ActionSpace space = environment.action_space();
  Rng action_rng = Rng::derived(seed, 1), update_rng = Rng::derived(seed, 2);
  PolicyNetwork behaviour = duplicate(target);
  std::vector<std::vector<double>> observations, actions;
  FixedTargetBuffer buffer;
  std::vector<double> observation = environment.reset(Rng::derived(seed, 0).next());
  for (std::int64_t t = 0; t < steps; ++t) {
    if (props && t > 0 && t % props->update_every == 0) {
      const PropsUpdateStatistics stats =
          props_update(*behaviour, target, to_tensor(observations), actions_tensor(actions, space), *props, update_rng);
      buffer.behaviour_updates_kl.push_back(stats.approx_kl);
    }
    std::vector<double> action = behaviour->sample(to_tensor({observation}), action_rng).front();
    observations.push_back(observation);
    actions.push_back(action);
    const Transition transition = environment.step(action);
    observation = transition.terminated || transition.truncated ? environment.reset_continuing() : transition.observation;
  }
  buffer.observations = to_tensor(observations);
  buffer.actions = actions_tensor(actions, space);
  return buffer;
}

}  // namespace descent::rl
