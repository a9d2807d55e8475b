// Actor and critic networks for policy-gradient methods, in LibTorch, float64.
//
// PolicyNetwork maps an observation to a distribution over actions: a categorical one (logits from
// the last layer) for a discrete action space, a diagonal Gaussian (mean from the last layer, one
// state-independent log standard deviation per action value) for a continuous one. ValueNetwork
// maps an observation to a scalar state value. Both are tanh MLPs initialized as PPO
// implementations do (Huang et al., "The 37 implementation details of PPO", ICLR blog track 2022):
// orthogonal weights with gain sqrt(2) in the hidden layers, 0.01 in the policy head (the initial
// policy is near uniform / near zero mean), 1 in the value head, zero biases.
//
// Weights and actions are drawn with descent's Rng, not torch's global generator: a network and a
// rollout are fixed by their seeds whatever else uses torch's generator, so runs with different
// seeds can train side by side on threads and each stays bit for bit reproducible. Actions travel as the environments take them
// (rl/environment.hpp): a discrete action is its index as a double.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "descent/core/rng.hpp"
#include "descent/rl/environment.hpp"

namespace descent::rl {

// What a policy says about a batch of observations: the last layer's output (logits, or Gaussian
// means) and, for a Gaussian, the log standard deviations. The distribution's functions below
// work on these, so a fixed policy's can be computed once and indexed per minibatch.
struct ActionDistribution {
  torch::Tensor output;   // [B, actions] or [B, dimension]
  torch::Tensor log_std;  // [dimension]; undefined for a discrete space
  bool discrete = true;

  // Rows `index` of the batch.
  ActionDistribution rows(const torch::Tensor& index) const;
  // log pi(a | s) per row: actions [B] (discrete) or [B, dimension].
  torch::Tensor log_prob(const torch::Tensor& actions) const;
  torch::Tensor entropy() const;
  // KL(this || reference) per row, in closed form: for the Gaussian the sum over action values of
  // log(sigma_ref / sigma) + (sigma^2 + (mu - mu_ref)^2) / (2 sigma_ref^2) - 1/2.
  torch::Tensor kl_divergence(const ActionDistribution& reference) const;
};

class PolicyNetworkImpl : public torch::nn::Module {
public:
  PolicyNetworkImpl(std::int64_t observation_size, ActionSpace space, std::vector<std::int64_t> hidden, std::uint64_t seed,
                    double initial_log_std = 0.0);

  const ActionSpace& action_space() const { return space_; }
  std::int64_t observation_size() const { return observation_size_; }
  const std::vector<std::int64_t>& hidden() const { return hidden_; }
  ActionDistribution distribution(const torch::Tensor& observations);
  // Shorthands for distribution(observations).log_prob(actions) and the like.
  torch::Tensor log_prob(const torch::Tensor& observations, const torch::Tensor& actions);
  torch::Tensor entropy(const torch::Tensor& observations);
  // KL(pi_this(. | s) || pi_reference(. | s)) per row.
  torch::Tensor kl_divergence(PolicyNetworkImpl& reference, const torch::Tensor& observations);
  // The probabilities of every action per row (discrete spaces only).
  torch::Tensor probabilities(const torch::Tensor& observations);
  // One action per row, drawn from pi(. | s) with `rng` (no gradient).
  std::vector<std::vector<double>> sample(const torch::Tensor& observations, Rng& rng);
  // The policy's deterministic action per row: the most probable action (the first of ties), or
  // the Gaussian's mean.
  std::vector<std::vector<double>> mean_action(const torch::Tensor& observations);
  // Sets this network's parameters to `source`'s (same shapes).
  void copy_from(PolicyNetworkImpl& source);

  // The last layer's output: logits or Gaussian means.
  torch::Tensor head_output(const torch::Tensor& observations);
  torch::Tensor log_std() const { return log_std_; }

private:
  ActionSpace space_;
  std::int64_t observation_size_ = 0;
  std::vector<std::int64_t> hidden_;
  torch::nn::Sequential body_{nullptr};
  torch::nn::Linear head_{nullptr};
  torch::Tensor log_std_;
};
TORCH_MODULE(PolicyNetwork);

// A new network of the same architecture with the same parameter values.
PolicyNetwork duplicate(PolicyNetworkImpl& source);

class ValueNetworkImpl : public torch::nn::Module {
public:
  ValueNetworkImpl(std::int64_t observation_size, std::vector<std::int64_t> hidden, std::uint64_t seed);
  // V(s) per row, shape [B].
  torch::Tensor forward(const torch::Tensor& observations);

private:
  torch::nn::Sequential network_{nullptr};
};
TORCH_MODULE(ValueNetwork);

// torch.nn.init.orthogonal_'s draw from `rng`: Q of the QR factorization of a standard normal
// matrix (transposed when wide), with the signs of R's diagonal moved into Q so that Q is
// uniformly (Haar) distributed, times `gain`.
torch::Tensor orthogonal_matrix(std::int64_t rows, std::int64_t columns, double gain, Rng& rng);

// Observations (or actions) as one float64 tensor [rows, width].
torch::Tensor to_tensor(const std::vector<std::vector<double>>& rows);
// Actions as the policy reads them: [B] int64 for a discrete space, [B, dimension] otherwise.
torch::Tensor actions_tensor(const std::vector<std::vector<double>>& actions, const ActionSpace& space);

}  // namespace descent::rl
