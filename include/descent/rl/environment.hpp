// One interface for the environments reinforcement learning trains on, and N copies of one
// stepped side by side.
//
// An environment is a seeded Markov decision process: reset(seed) draws the initial state from
// the environment's own generator seeded with `seed`, and step(action) advances it. Everything
// random inside an environment comes from that generator, so a seed fixes the whole trajectory
// for a fixed sequence of actions (on any thread, in any order of the copies).
//
// Actions travel as doubles: a discrete action is its index in action[0]; a continuous one is a
// vector of action_space().dimension values (the environment clips them to [low, high]).
//
// VectorEnvironment keeps N copies, copy i seeded from Rng::derived(seed, i). A copy that ends an
// episode (terminated or truncated) resets itself at once from its own generator; the step result
// keeps the final observation of the finished episode (Gym 0.26 / Gymnasium 0.29's autoreset; later
// Gymnasium resets on the next step instead), so a value
// target can bootstrap from it when the episode was only truncated. Copies step on up to
// `threads` threads; each copy owns its state, so the results do not depend on the thread count.
// Free of LibTorch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace descent::rl {

struct ActionSpace {
  std::int64_t actions = 0;    // > 0: discrete with this many actions; 0: continuous
  std::int64_t dimension = 0;  // continuous: the number of action values
  double low = -1.0, high = 1.0;

  bool discrete() const { return actions > 0; }
};

struct Transition {
  std::vector<double> observation;  // after the step
  double reward = 0.0;
  bool terminated = false;  // the MDP reached a terminal state: no value beyond it
  bool truncated = false;   // a time limit ended the episode: the state still has a value
};

class Environment {
public:
  virtual ~Environment() = default;

  virtual std::string name() const = 0;
  virtual std::int64_t observation_size() const = 0;
  virtual ActionSpace action_space() const = 0;
  // Starts an episode; the generator is reseeded with `seed`.
  virtual std::vector<double> reset(std::uint64_t seed) = 0;
  // Starts the next episode from the generator's current state (what autoreset calls).
  virtual std::vector<double> reset_continuing() = 0;
  virtual Transition step(const std::vector<double>& action) = 0;
  // An independent copy with the same configuration (its state is reset before use).
  virtual std::unique_ptr<Environment> clone() const = 0;
};

struct VectorStep {
  std::vector<std::vector<double>> observation;        // per copy: the next episode's first after a reset
  std::vector<std::vector<double>> final_observation;  // per copy: the last of a finished episode, else empty
  std::vector<double> reward;
  std::vector<char> terminated, truncated;
};

class VectorEnvironment {
public:
  // Throws std::invalid_argument for copies < 1 or threads < 1.
  VectorEnvironment(const Environment& prototype, std::int64_t copies, std::int64_t threads = 1);

  std::int64_t copies() const { return static_cast<std::int64_t>(environments_.size()); }
  const Environment& copy(std::int64_t index) const { return *environments_[static_cast<std::size_t>(index)]; }
  std::vector<std::vector<double>> reset(std::uint64_t seed);
  // actions[i] goes to copy i. Throws std::invalid_argument when the count differs from copies().
  VectorStep step(const std::vector<std::vector<double>>& actions);

private:
  std::vector<std::unique_ptr<Environment>> environments_;
  std::int64_t threads_ = 1;
};

}  // namespace descent::rl
