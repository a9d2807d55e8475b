// Cost of one PPO minibatch step (rl/ppo's ppo_update: actor and critic forward, the clipped
// losses, backward, descent's fused Adam with the global-norm clip) for CartPole's actor-critic
// (4-64-64 tanh, float64), 1,024 samples split into 8 or 32 minibatches, 1 thread. Prints one JSON
// line per minibatch count; bench/torch_ppo_update.py is the same update written in PyTorch.
#include <fmt/format.h>

#include <chrono>

#include "descent/core/env.hpp"
#include "descent/rl/ppo.hpp"

int main() {
  using namespace descent::rl;
  descent::env::pin_blas_threads_to_one();
  torch::set_num_threads(1);
  const std::vector<std::int64_t> hidden{64, 64};
  PolicyNetwork policy(4, ActionSpace{2, 0, 0.0, 0.0}, hidden, 0);
  ValueNetwork critic(4, hidden, 1);
  torch::manual_seed(0);
  constexpr std::int64_t kSamples = 1024, kRepeats = 10;
  const torch::Tensor s = torch::randn({kSamples, 4}, torch::kFloat64), a = torch::randint(0, 2, {kSamples}, torch::kInt64);
  const torch::Tensor old_log_probs = policy->log_prob(s, a).detach(), old_values = critic->forward(s).detach();
  const torch::Tensor advantages = torch::randn({kSamples}, torch::kFloat64), returns = torch::randn({kSamples}, torch::kFloat64);
  for (const std::int64_t minibatches : {8, 32}) {
    PpoOptions options;
    options.epochs = 1;
    options.minibatches = minibatches;
    options.target_kl.reset();
    const auto optimizer = make_optimizer(*policy, *critic, options.optimizer, options.optimizer_values, options.max_grad_norm);
    descent::Rng rng(0);
    auto epoch = [&] { ppo_update(*policy, *critic, *optimizer, s, a, old_log_probs, advantages, returns, old_values, options, rng); };
    epoch();  // warm-up: allocations, Adam's state
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t r = 0; r < kRepeats; ++r) epoch();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("{{\"minibatches\": {}, \"ms_per_step\": {:.4f}}}\n", minibatches, 1e3 * seconds / static_cast<double>(kRepeats * minibatches));
  }
}
