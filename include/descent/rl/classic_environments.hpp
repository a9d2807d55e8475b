// Three small environments with known dynamics, for policy-gradient experiments whose claims are
// about sampling rather than about the task: a multi-armed bandit, a 5 x 5 grid world, and
// CartPole. Each implements rl::Environment (seeded, deterministic, cloneable). Free of LibTorch.
//
// MultiArmedBandit: one state (observation [1]), `means.size()` arms, reward means[a] + noise_std
// N(0, 1); every episode is one step (terminated).
//
// GridWorld: Corrado & Hanna's GridWorld-lxl (their PROPS repository's custom_envs): an l x l grid,
// the agent starts in the centre cell; actions 0..3 move up (row - 1), down, left, right, a move
// into the border staying put. Entering a cell gives that cell's reward: corner (0, 0) is a
// terminal 0.5 (a worse exit), corner (l-1, l-1) a terminal 1, every other cell step_reward
// (-0.01). The episode is truncated after 3 l steps. Observation: the one-hot of row * l + column.
// Every start is the same, so the seed changes nothing.
//
// CartPole: Barto, Sutton & Anderson (1983) as OpenAI Gym's CartPole-v1 writes it: a pole of half
// length 0.5 m and mass 0.1 kg on a 1 kg cart, force +-10 N (action 1 pushes right), explicit
// Euler with tau = 0.02 s, reward 1 per step; terminated when |x| > 2.4 or |theta| > 12 degrees,
// truncated after 500 steps; the start state is uniform in [-0.05, 0.05]^4.
#pragma once

#include <vector>

#include "descent/core/rng.hpp"
#include "descent/rl/environment.hpp"

namespace descent::rl {

class MultiArmedBandit : public Environment {
public:
  struct Options {
    std::vector<double> means{1.0, 0.8, 0.5, 0.2, 0.0};
    double noise_std = 1.0;
  };
  explicit MultiArmedBandit(Options options);

  std::string name() const override { return "bandit"; }
  std::int64_t observation_size() const override { return 1; }
  ActionSpace action_space() const override;
  std::vector<double> reset(std::uint64_t seed) override;
  std::vector<double> reset_continuing() override;
  Transition step(const std::vector<double>& action) override;
  std::unique_ptr<Environment> clone() const override;

private:
  Options options_;
  Rng rng_{0};
};

class GridWorld : public Environment {
public:
  struct Options {
    std::int64_t size = 5;
    double goal_reward = 1.0, near_exit_reward = 0.5, step_reward = -0.01;
    std::int64_t max_steps = 15;  // 3 size
  };
  explicit GridWorld(Options options);

  std::string name() const override { return "gridworld"; }
  std::int64_t observation_size() const override { return options_.size * options_.size; }
  ActionSpace action_space() const override { return {4, 0, 0.0, 0.0}; }
  std::vector<double> reset(std::uint64_t seed) override;
  std::vector<double> reset_continuing() override;
  Transition step(const std::vector<double>& action) override;
  std::unique_ptr<Environment> clone() const override;

  std::int64_t cell() const { return row_ * options_.size + column_; }

private:
  std::vector<double> observation() const;

  Options options_;
  std::int64_t row_ = 0, column_ = 0, steps_ = 0;
};

class CartPole : public Environment {
public:
  struct Options {
    std::int64_t max_steps = 500;
  };
  explicit CartPole(Options options);

  std::string name() const override { return "cartpole"; }
  std::int64_t observation_size() const override { return 4; }
  ActionSpace action_space() const override { return {2, 0, 0.0, 0.0}; }
  std::vector<double> reset(std::uint64_t seed) override;
  std::vector<double> reset_continuing() override;
  Transition step(const std::vector<double>& action) override;
  std::unique_ptr<Environment> clone() const override;

  // x, x_dot, theta, theta_dot.
  const std::vector<double>& state() const { return state_; }

private:
  Options options_;
  Rng rng_{0};
  std::vector<double> state_ = std::vector<double>(4, 0.0);
  std::int64_t steps_ = 0;
};

// The index of a discrete action; throws std::invalid_argument naming the environment when the
// action is not a whole number in [0, actions).
std::int64_t discrete_action(const std::vector<double>& action, std::int64_t actions, const std::string& environment);

}  // namespace descent::rl
