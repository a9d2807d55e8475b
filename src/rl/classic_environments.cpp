#include "descent/rl/classic_environments.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace descent::rl {

std::int64_t discrete_action(const std::vector<double>& action, std::int64_t actions, const std::string& environment) {
  if (action.size() != 1 || !(action[0] >= 0.0) || action[0] >= static_cast<double>(actions) || action[0] != std::floor(action[0])) {
    throw std::invalid_argument(environment + ": an action is one index in [0, " + std::to_string(actions) + ")");
  }
  return static_cast<std::int64_t>(action[0]);
}

// --- MultiArmedBandit -------------------------------------------------------------------------

MultiArmedBandit::MultiArmedBandit(Options options) : options_(std::move(options)) {
  if (options_.means.empty()) throw std::invalid_argument("bandit: at least one arm");
}

ActionSpace MultiArmedBandit::action_space() const { return {static_cast<std::int64_t>(options_.means.size()), 0, 0.0, 0.0}; }

std::vector<double> MultiArmedBandit::reset(std::uint64_t seed) {
  rng_ = Rng(seed);
  return reset_continuing();
}

std::vector<double> MultiArmedBandit::reset_continuing() { return {1.0}; }

Transition MultiArmedBandit::step(const std::vector<double>& action) {
  const std::int64_t arm = discrete_action(action, static_cast<std::int64_t>(options_.means.size()), name());
  return {{1.0}, options_.means[static_cast<std::size_t>(arm)] + options_.noise_std * rng_.normal(), true, false};
}

std::unique_ptr<Environment> MultiArmedBandit::clone() const { return std::make_unique<MultiArmedBandit>(options_); }

// --- GridWorld --------------------------------------------------------------------------------

GridWorld::GridWorld(Options options) : options_(options) {
  if (options_.size < 2) throw std::invalid_argument("gridworld: size must be at least 2");
  if (options_.max_steps < 1) throw std::invalid_argument("gridworld: max_steps must be positive");
}

std::vector<double> GridWorld::reset(std::uint64_t) { return reset_continuing(); }  // the start is fixed

std::vector<double> GridWorld::reset_continuing() {
  row_ = column_ = options_.size / 2;
  steps_ = 0;
  return observation();
}

std::vector<double> GridWorld::observation() const {
  std::vector<double> one_hot(static_cast<std::size_t>(observation_size()), 0.0);
  one_hot[static_cast<std::size_t>(cell())] = 1.0;
  return one_hot;
}

Transition GridWorld::step(const std::vector<double>& action) {
  static constexpr std::int64_t kRowMove[4] = {-1, 1, 0, 0}, kColumnMove[4] = {0, 0, -1, 1};
  const std::int64_t a = discrete_action(action, 4, name());
  const std::int64_t last = options_.size - 1;
  row_ = std::clamp<std::int64_t>(row_ + kRowMove[a], 0, last);
  column_ = std::clamp<std::int64_t>(column_ + kColumnMove[a], 0, last);
  ++steps_;
  const bool at_goal = row_ == last && column_ == last, at_near_exit = row_ == 0 && column_ == 0;
  const double reward = at_goal ? options_.goal_reward : at_near_exit ? options_.near_exit_reward : options_.step_reward;
  const bool terminal = at_goal || at_near_exit;
  return {observation(), reward, terminal, !terminal && steps_ >= options_.max_steps};
}

std::unique_ptr<Environment> GridWorld::clone() const { return std::make_unique<GridWorld>(options_); }

// --- CartPole ---------------------------------------------------------------------------------

CartPole::CartPole(Options options) : options_(options) {
  if (options_.max_steps < 1) throw std::invalid_argument("cartpole: max_steps must be positive");
}

std::vector<double> CartPole::reset(std::uint64_t seed) {
  rng_ = Rng(seed);
  return reset_continuing();
}

std::vector<double> CartPole::reset_continuing() {
  for (double& value : state_) value = -0.05 + 0.1 * rng_.uniform();
  steps_ = 0;
  return state_;
}

Transition CartPole::step(const std::vector<double>& action) {
  constexpr double kGravity = 9.8, kCartMass = 1.0, kPoleMass = 0.1, kHalfLength = 0.5, kForce = 10.0, kTau = 0.02;
  constexpr double kTotalMass = kCartMass + kPoleMass, kPoleMoment = kPoleMass * kHalfLength;
  constexpr double kThetaLimit = 12.0 * 2.0 * M_PI / 360.0, kXLimit = 2.4;
  const double force = discrete_action(action, 2, name()) == 1 ? kForce : -kForce;
  double& x = state_[0];
  double& x_dot = state_[1];
  double& theta = state_[2];
  double& theta_dot = state_[3];
  const double cos_theta = std::cos(theta), sin_theta = std::sin(theta);
  const double temp = (force + kPoleMoment * theta_dot * theta_dot * sin_theta) / kTotalMass;
  const double theta_acc = (kGravity * sin_theta - cos_theta * temp) /
                           (kHalfLength * (4.0 / 3.0 - kPoleMass * cos_theta * cos_theta / kTotalMass));
  const double x_acc = temp - kPoleMoment * theta_acc * cos_theta / kTotalMass;
  x += kTau * x_dot;
  x_dot += kTau * x_acc;
  theta += kTau * theta_dot;
  theta_dot += kTau * theta_acc;
  ++steps_;
  const bool fallen = x < -kXLimit || x > kXLimit || theta < -kThetaLimit || theta > kThetaLimit;
  return {state_, 1.0, fallen, !fallen && steps_ >= options_.max_steps};
}

std::unique_ptr<Environment> CartPole::clone() const { return std::make_unique<CartPole>(options_); }

}  // namespace descent::rl
