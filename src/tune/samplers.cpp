#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/tune/acquisition.hpp"
#include "descent/tune/sampler.hpp"

namespace descent::tune {

std::string state_name(TrialState state) {
  switch (state) {
    case TrialState::running: return "RUNNING";
    case TrialState::complete: return "COMPLETE";
    case TrialState::pruned: return "PRUNED";
    case TrialState::fail: return "FAIL";
  }
  return "FAIL";
}

TrialState parse_state(const std::string& name) {
  if (name == "RUNNING") return TrialState::running;
  if (name == "COMPLETE") return TrialState::complete;
  if (name == "PRUNED") return TrialState::pruned;
  if (name == "FAIL") return TrialState::fail;
  throw Error(ExitCode::runtime_failure, fmt::format("unknown trial state '{}'", name));
}

Point RandomSampler::suggest(const SearchSpace& space, const std::vector<Trial>&, std::int64_t number) {
  Rng rng = Rng::derived(seed_, static_cast<std::uint64_t>(number));
  std::vector<double> unit;
  for (int d = 0; d < space.encoded_dimension(); ++d) unit.push_back(rng.uniform());
  return space.decode(unit);
}

Point GridSampler::suggest(const SearchSpace&, const std::vector<Trial>&, std::int64_t number) {
  return points_[static_cast<std::size_t>(number) % points_.size()];
}

Point BayesianSampler::suggest(const SearchSpace& space, const std::vector<Trial>& trials, std::int64_t number) {
  const int dimension = space.encoded_dimension();
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  std::vector<const Trial*> pending, failed;
  for (const Trial& trial : trials) {
    if (trial.params.size() != space.size()) continue;
    if (trial.state == TrialState::complete && trial.value && std::isfinite(*trial.value)) {
      x.push_back(space.encode(trial.params));
      y.push_back(minimized(*trial.value, options_.direction));
    } else if (trial.state == TrialState::pruned && !trial.intermediate.empty() &&
               std::isfinite(trial.intermediate.rbegin()->second)) {
      // A pruned trial counts with its last reported value: pessimistic, and it keeps the GP from
      // proposing the same losing point again.
      x.push_back(space.encode(trial.params));
      y.push_back(minimized(trial.intermediate.rbegin()->second, options_.direction));
    } else if (trial.state == TrialState::running && trial.number != number) {
      pending.push_back(&trial);
    } else if (trial.state == TrialState::fail || trial.state == TrialState::pruned) {
      failed.push_back(&trial);
    }
  }
  if (static_cast<int>(x.size()) < options_.initial_trials) {
    return space.decode(Halton(dimension, seed_).point(static_cast<std::uint64_t>(number)));
  }
  // Failed trials (a diverged run, say) count as the worst value seen, so the search moves away.
  const double worst = *std::max_element(y.begin(), y.end());
  for (const Trial* trial : failed) x.push_back(space.encode(trial->params)), y.push_back(worst);
  GaussianProcess gp(options_.kernel, dimension);
  gp.set_data(x, y);
  // No warm start from an earlier proposal: a proposal must depend only on the stored trials.
  gp.fit(seed_ + static_cast<std::uint64_t>(number), options_.fit_starts);
  const double best = *std::min_element(y.begin(), y.end());
  if (!pending.empty()) {
    // Kriging believer: each pending point as if it had returned its posterior mean.
    const std::vector<double> theta = gp.hyperparameters();
    for (const Trial* trial : pending) {
      const auto u = space.encode(trial->params);
      y.push_back(gp.predict(u).mean);
      x.push_back(u);
    }
    gp.set_data(x, y);
    gp.set_hyperparameters(theta);
  }
  std::unique_ptr<Acquisition> acquisition;
  if (options_.acquisition == AcquisitionKind::ucb) {
    acquisition = std::make_unique<UpperConfidenceBound>(gp, options_.ucb_beta);
  } else if (options_.acquisition == AcquisitionKind::kg) {
    std::vector<std::vector<double>> discretization = x;
    const Halton halton(dimension, seed_ + 1);
    for (int i = 0; i < 50; ++i) discretization.push_back(halton.point(static_cast<std::uint64_t>(i)));
    acquisition = std::make_unique<KnowledgeGradient>(gp, discretization, options_.kg_samples);
  } else {
    acquisition = std::make_unique<LogExpectedImprovement>(gp, best);
  }
  // Start also from the incumbent: the acquisition's optimum is often near it.
  const auto incumbent = x[static_cast<std::size_t>(std::min_element(y.begin(), y.end()) - y.begin())];
  const auto chosen = maximize_acquisition(*acquisition, dimension, seed_ + static_cast<std::uint64_t>(number),
                                           options_.acquisition == AcquisitionKind::kg ? options_.kg_starts : options_.acquisition_starts, {incumbent});
  return space.decode(chosen);
}

}  // namespace descent::tune
