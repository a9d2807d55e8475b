// VectorEnvironment: N seeded copies, autoreset, and the copies stepped on a few threads.
#include "descent/rl/environment.hpp"

#include <stdexcept>

#include "descent/core/parallel.hpp"
#include "descent/core/rng.hpp"

namespace descent::rl {

VectorEnvironment::VectorEnvironment(const Environment& prototype, std::int64_t copies, std::int64_t threads) : threads_(threads) {
  if (copies < 1) throw std::invalid_argument("VectorEnvironment needs at least one copy, got " + std::to_string(copies));
  if (threads < 1) throw std::invalid_argument("VectorEnvironment needs at least one thread, got " + std::to_string(threads));
  for (std::int64_t i = 0; i < copies; ++i) environments_.push_back(prototype.clone());
}

std::vector<std::vector<double>> VectorEnvironment::reset(std::uint64_t seed) {
  std::vector<std::vector<double>> observations(environments_.size());
  parallel_for(copies(), threads_, [&](std::int64_t i) {
    const std::uint64_t copy_seed = Rng::derived(seed, static_cast<std::uint64_t>(i)).next();
    observations[static_cast<std::size_t>(i)] = environments_[static_cast<std::size_t>(i)]->reset(copy_seed);
  });
  return observations;
}

VectorStep VectorEnvironment::step(const std::vector<std::vector<double>>& actions) {
  if (static_cast<std::int64_t>(actions.size()) != copies()) {
    throw std::invalid_argument("VectorEnvironment::step got " + std::to_string(actions.size()) + " actions for " +
                                std::to_string(copies()) + " copies");
  }
  const std::size_t n = environments_.size();
  VectorStep result;
  result.observation.resize(n);
  result.final_observation.resize(n);
  result.reward.resize(n);
  result.terminated.resize(n);
  result.truncated.resize(n);
  parallel_for(copies(), threads_, [&](std::int64_t index) {
    const auto i = static_cast<std::size_t>(index);
    Transition transition = environments_[i]->step(actions[i]);
    result.reward[i] = transition.reward;
    result.terminated[i] = transition.terminated;
    result.truncated[i] = transition.truncated;
    if (transition.terminated || transition.truncated) {
      result.final_observation[i] = std::move(transition.observation);
      result.observation[i] = environments_[i]->reset_continuing();
    } else {
      result.observation[i] = std::move(transition.observation);
    }
  });
  return result;
}

}  // namespace descent::rl
