// VectorEnvironment: N seeded copies, autoreset, and the copies stepped on a few threads.
#include "descent/rl/environment.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "descent/core/rng.hpp"

namespace descent::rl {
namespace {

// Runs work(i) for i in [0, count) on up to `threads` threads, copy i always on the same
// contiguous block, so each copy is touched by one thread only.
template <typename Work>
void for_each_copy(std::int64_t count, std::int64_t threads, const Work& work) {
  const std::int64_t workers = std::min(threads, count);
  if (workers <= 1) {
    for (std::int64_t i = 0; i < count; ++i) work(i);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(workers));
  for (std::int64_t w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      const std::int64_t begin = count * w / workers, end = count * (w + 1) / workers;
      for (std::int64_t i = begin; i < end; ++i) work(i);
    });
  }
  for (std::thread& thread : pool) thread.join();
}

}  // namespace

VectorEnvironment::VectorEnvironment(const Environment& prototype, std::int64_t copies, std::int64_t threads) : threads_(threads) {
  if (copies < 1) throw std::invalid_argument("VectorEnvironment needs at least one copy, got " + std::to_string(copies));
  if (threads < 1) throw std::invalid_argument("VectorEnvironment needs at least one thread, got " + std::to_string(threads));
  for (std::int64_t i = 0; i < copies; ++i) environments_.push_back(prototype.clone());
}

std::vector<std::vector<double>> VectorEnvironment::reset(std::uint64_t seed) {
  std::vector<std::vector<double>> observations(environments_.size());
  for_each_copy(copies(), threads_, [&](std::int64_t i) {
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
  for_each_copy(copies(), threads_, [&](std::int64_t index) {
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
