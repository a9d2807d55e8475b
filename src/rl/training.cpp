#include "descent/rl/training.hpp"

#include <deque>
#include <stdexcept>

namespace descent::rl {
namespace {

// One time row of the buffer: what the N copies saw and did at one step.
struct StepRow {
  torch::Tensor observations, actions, rewards, terminated, truncated;
  torch::Tensor final_observations;  // zeros except where truncated
};

void check(const TrainingOptions& o) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("train_ppo: " + what);
  };
  require(o.copies >= 1 && o.steps_per_copy >= 1, "copies and steps_per_copy must be positive");
  require(o.buffer_batches >= 1, "buffer_batches must be positive");
  require(o.total_steps >= o.copies * o.steps_per_copy, "total_steps must cover at least one batch of copies x steps_per_copy");
  require(o.evaluation_points >= 1 && o.evaluation_episodes >= 1, "evaluation_points and evaluation_episodes must be positive");
  require(o.evaluation_points <= o.total_steps / (o.copies * o.steps_per_copy), "evaluation_points must not exceed the number of updates");
  if (o.props) {
    const std::int64_t batch = o.copies * o.steps_per_copy, m = o.props->update_every;
    require(m >= o.copies && m % o.copies == 0, "props.update_every must be a positive multiple of copies");
    // The behaviour refits stay aligned with the batches, and each leaves data to fit.
    require(batch % m == 0, "props.update_every must divide copies x steps_per_copy");
    require(m < o.buffer_batches * batch, "props.update_every must be smaller than the buffer (buffer_batches x copies x steps_per_copy)");
  }
}

StepRow make_row(const std::vector<std::vector<double>>& observations, const std::vector<std::vector<double>>& actions,
                 const VectorStep& step, const ActionSpace& space) {
  StepRow row;
  row.observations = to_tensor(observations);
  row.actions = actions_tensor(actions, space);
  row.rewards = torch::tensor(step.reward, torch::kFloat64);
  row.terminated = torch::tensor(std::vector<double>(step.terminated.begin(), step.terminated.end()), torch::kFloat64);
  row.truncated = torch::tensor(std::vector<double>(step.truncated.begin(), step.truncated.end()), torch::kFloat64);
  row.final_observations = torch::zeros_like(row.observations);
  for (std::size_t i = 0; i < step.final_observation.size(); ++i) {
    if (step.truncated[i] && !step.terminated[i]) row.final_observations[static_cast<std::int64_t>(i)] = torch::tensor(step.final_observation[i], torch::kFloat64);
  }
  return row;
}

torch::Tensor stack_rows(const std::deque<StepRow>& rows, std::size_t skip, torch::Tensor StepRow::*field) {
  std::vector<torch::Tensor> parts;
  for (std::size_t t = skip; t < rows.size(); ++t) parts.push_back(rows[t].*field);
  return torch::stack(parts);
}

Rollout rollout_of(const std::deque<StepRow>& rows, const torch::Tensor& next_observations, ValueNetworkImpl& critic) {
  Rollout r;
  r.observations = stack_rows(rows, 0, &StepRow::observations);
  r.actions = stack_rows(rows, 0, &StepRow::actions);
  r.rewards = stack_rows(rows, 0, &StepRow::rewards);
  r.terminated = stack_rows(rows, 0, &StepRow::terminated);
  r.truncated = stack_rows(rows, 0, &StepRow::truncated);
  r.next_observations = next_observations;
  torch::NoGradGuard no_grad;
  const torch::Tensor finals = stack_rows(rows, 0, &StepRow::final_observations);
  r.final_values = critic.forward(finals.flatten(0, 1)).reshape(r.rewards.sizes()) * r.truncated * (1.0 - r.terminated);
  return r;
}

torch::Tensor flat(const torch::Tensor& x) { return x.flatten(0, 1); }

}  // namespace

double evaluate_policy(const Environment& prototype, PolicyNetworkImpl& policy, std::int64_t episodes, std::uint64_t seed,
                       bool deterministic) {
  std::vector<std::unique_ptr<Environment>> copies;
  std::vector<std::vector<double>> observations;
  for (std::int64_t i = 0; i < episodes; ++i) {
    copies.push_back(prototype.clone());
    observations.push_back(copies.back()->reset(Rng::derived(seed, static_cast<std::uint64_t>(i)).next()));
  }
  Rng action_rng = Rng::derived(seed, 1u << 20);
  std::vector<double> returns(static_cast<std::size_t>(episodes), 0.0);
  std::vector<std::size_t> running(static_cast<std::size_t>(episodes));
  for (std::size_t i = 0; i < running.size(); ++i) running[i] = i;
  while (!running.empty()) {
    std::vector<std::vector<double>> batch;
    for (const std::size_t i : running) batch.push_back(observations[i]);
    const torch::Tensor states = to_tensor(batch);
    const std::vector<std::vector<double>> actions = deterministic ? policy.mean_action(states) : policy.sample(states, action_rng);
    std::vector<std::size_t> still;
    for (std::size_t k = 0; k < running.size(); ++k) {
      const std::size_t i = running[k];
      const Transition t = copies[i]->step(actions[k]);
      returns[i] += t.reward;
      observations[i] = t.observation;
      if (!t.terminated && !t.truncated) still.push_back(i);
    }
    running = std::move(still);
  }
  double sum = 0.0;
  for (const double r : returns) sum += r;
  return sum / static_cast<double>(episodes);
}

TrainingResult train_ppo(const Environment& prototype, const TrainingOptions& options, const PpoOptions& ppo) {
  check(options);
  const ActionSpace space = prototype.action_space();
  PolicyNetwork policy(prototype.observation_size(), space, options.hidden, Rng::derived(options.seed, 4).next());
  ValueNetwork critic(prototype.observation_size(), options.hidden, Rng::derived(options.seed, 5).next());
  PolicyNetwork behaviour = duplicate(*policy);
  const std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(*policy, *critic, ppo.optimizer, ppo.optimizer_values, ppo.max_grad_norm);

  const std::int64_t batch = options.copies * options.steps_per_copy;
  const std::int64_t updates = options.total_steps / batch;
  const std::size_t capacity = static_cast<std::size_t>(options.buffer_batches * options.steps_per_copy);
  // Over updates + 1 steps, so the last update still moves (a linear decay ends at 1 / updates).
  const schedule::Schedule learning_rate(ppo.learning_rate_schedule, updates + 1);
  Rng action_rng = Rng::derived(options.seed, 1), update_rng = Rng::derived(options.seed, 2);

  VectorEnvironment environments(prototype, options.copies, options.threads);
  std::vector<std::vector<double>> observations = environments.reset(Rng::derived(options.seed, 3).next());
  std::deque<StepRow> buffer;
  TrainingResult result;
  std::int64_t next_evaluation = 0;
  for (std::int64_t update = 0; update < updates; ++update) {
    for (std::int64_t t = 0; t < options.steps_per_copy; ++t) {
      const std::int64_t steps_so_far = (update * options.steps_per_copy + t) * options.copies;
      if (options.props && steps_so_far > 0 && steps_so_far % options.props->update_every == 0) {
        // The rows the next update_every steps will push out of the buffer are left out.
        const auto incoming = static_cast<std::size_t>(options.props->update_every / options.copies);
        const std::size_t stale = buffer.size() + incoming > capacity ? buffer.size() + incoming - capacity : 0;
        const torch::Tensor s = flat(stack_rows(buffer, stale, &StepRow::observations));
        const torch::Tensor a = flat(stack_rows(buffer, stale, &StepRow::actions));
        result.props_updates.push_back(props_update(*behaviour, *policy, s, a, *options.props, update_rng));
      }
      PolicyNetworkImpl& collector = options.props ? *behaviour : *policy;
      const std::vector<std::vector<double>> actions = collector.sample(to_tensor(observations), action_rng);
      const VectorStep step = environments.step(actions);
      buffer.push_back(make_row(observations, actions, step, space));
      if (buffer.size() > capacity) buffer.pop_front();
      for (std::size_t i = 0; i < step.terminated.size(); ++i) result.episodes_finished += step.terminated[i] || step.truncated[i];
      observations = step.observation;
    }

    optimizer->set_learning_rate_factor(learning_rate.factor(update));
    const Rollout rollout = rollout_of(buffer, to_tensor(observations), *critic);
    const Advantages advantages = generalized_advantages(rollout, *critic, ppo.gamma, ppo.gae_lambda);
    torch::Tensor old_log_probs;
    {
      torch::NoGradGuard no_grad;
      old_log_probs = policy->log_prob(flat(rollout.observations), flat(rollout.actions));
    }
    result.updates.push_back(ppo_update(*policy, *critic, *optimizer, flat(rollout.observations), flat(rollout.actions), old_log_probs,
                                        flat(advantages.advantages), flat(advantages.returns), flat(advantages.values), ppo, update_rng));
    if (options.props) behaviour->copy_from(*policy);  // a new target: start collecting from it

    const std::int64_t steps_done = (update + 1) * batch;
    const std::int64_t due = (next_evaluation + 1) * updates / options.evaluation_points;
    if (update + 1 == due || update + 1 == updates) {
      result.evaluation_steps.push_back(steps_done);
      result.evaluation_returns.push_back(evaluate_policy(prototype, *policy, options.evaluation_episodes,
                                                          Rng::derived(options.seed, 100 + static_cast<std::uint64_t>(next_evaluation)).next(),
                                                          options.deterministic_evaluation));
      ++next_evaluation;
    }
  }
  result.policy = policy;
  return result;
}

}  // namespace descent::rl
