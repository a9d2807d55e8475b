// Bayesian optimization quality and speed: descent's GP sampler (EI, the `descent tune` defaults)
// and random search on Branin and Hartmann-6, 40 evaluations, seeds 0-9, printing one JSON line
// per run with the simple regret; then the latency of one proposal at 100 observations for each
// acquisition. bench/tune_vs_optuna.py runs Optuna's TPE on the same budgets beside it.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "descent/tune/benchmarks.hpp"
#include "descent/tune/sampler.hpp"

namespace {

using namespace descent::tune;

SearchSpace unit_cube(int dimension) {
  std::vector<Parameter> parameters;
  for (int d = 0; d < dimension; ++d) parameters.push_back({fmt::format("x{}", d), ParamKind::real, 0.0, 1.0, false, {}});
  return SearchSpace(parameters);
}

double regret(Sampler& sampler, const std::function<double(const std::vector<double>&)>& f, int dimension, double minimum,
              int evaluations) {
  const SearchSpace space = unit_cube(dimension);
  std::vector<Trial> trials;
  double best = INFINITY;
  for (int n = 0; n < evaluations; ++n) {
    Trial trial{n, TrialState::complete, sampler.suggest(space, trials, n), std::nullopt, {}};
    trial.value = f(trial.params);
    best = std::min(best, *trial.value);
    trials.push_back(trial);
  }
  return best - minimum;
}

}  // namespace

int main() {
  struct Problem {
    const char* name;
    std::function<double(const std::vector<double>&)> f;
    int dimension;
    double minimum;
  };
  const std::vector<Problem> problems = {{"branin", branin, 2, kBraninMinimum}, {"hartmann6", hartmann6, 6, kHartmann6Minimum}};
  for (const auto& problem : problems) {
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
      BayesianOptions options;
      options.initial_trials = std::max(5, 2 * problem.dimension);
      BayesianSampler gp(options, seed);
      RandomSampler random(seed);
      fmt::print("{{\"impl\": \"descent-gp-ei\", \"problem\": \"{}\", \"seed\": {}, \"regret\": {:.6g}}}\n", problem.name, seed,
                 regret(gp, problem.f, problem.dimension, problem.minimum, 40));
      fmt::print("{{\"impl\": \"descent-random\", \"problem\": \"{}\", \"seed\": {}, \"regret\": {:.6g}}}\n", problem.name, seed,
                 regret(random, problem.f, problem.dimension, problem.minimum, 40));
      std::fflush(stdout);
    }
  }
  // Latency of one proposal (GP fit + acquisition maximization) at 100 observations of Hartmann-6.
  const SearchSpace space = unit_cube(6);
  std::vector<Trial> trials;
  RandomSampler filler(7);
  for (int n = 0; n < 100; ++n) {
    Trial trial{n, TrialState::complete, filler.suggest(space, trials, n), std::nullopt, {}};
    trial.value = hartmann6(trial.params);
    trials.push_back(trial);
  }
  for (const auto& [acquisition_kind, acquisition] :
       std::vector<std::pair<AcquisitionKind, std::string>>{{AcquisitionKind::ei, "ei"}, {AcquisitionKind::ucb, "ucb"}, {AcquisitionKind::kg, "kg"}}) {
    std::vector<double> times;
    for (int repeat = 0; repeat < 5; ++repeat) {
      BayesianOptions options;
      options.acquisition = acquisition_kind;
      BayesianSampler sampler(options, static_cast<std::uint64_t>(repeat));
      const auto start = std::chrono::steady_clock::now();
      sampler.suggest(space, trials, 100);
      times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    fmt::print("{{\"impl\": \"descent-gp-{}\", \"latency_ms_at_100\": {:.2f}}}\n", acquisition, times[2]);
  }
  return 0;
}
