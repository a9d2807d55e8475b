// bayesian-optimization: Frazier, "A Tutorial on Bayesian Optimization" (arXiv 1807.02811, 2018).
// The tutorial has no benchmark of its own; the specs put its GP-based Bayesian optimization to
// work on the two test functions it names, Branin (2-D, f* = 0.397887) and Hartmann-6 (6-D, f* =
// -3.32237), both minimized over the unit cube. descent's tune::BayesianSampler (Matern-5/2 GP with
// hyperparameters by maximum likelihood, a Halton initial design, the acquisition maximized by
// multistart L-BFGS) runs with each of the tutorial's two acquisitions, expected improvement (EI)
// and the knowledge gradient (KG), against tune::RandomSampler: 40 evaluations (bench/tune.cpp's
// budget), seeds 0-9. The simple regret after n evaluations is min_{i <= n} f(x_i) - f*.
// Checked:
//   - the specs' acceptance 3, "BO-EI on Branin reaches gap < 0.01 within 40 evaluations in >= 8/10
//     seeds, with random search >= 10x worse" (10x read as a ratio of median final regrets);
//   - not in the specs' list but the point of the tutorial, that a GP model spends evaluations
//     better than sampling blindly: GP-EI's median final regret is below random search's on
//     Hartmann-6, and GP-KG's below random search's on both functions.
// KG runs on Hartmann-6 too: a KG proposal costs about 80 ms at 100 observations (bench/results),
// so its 28 proposals per seed take seconds, not minutes. Optuna's TPE is not run here (it needs
// python3-optuna); bench/optuna_tpe.py runs it on these budgets beside bench_tune.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "../study_tools.hpp"
#include "descent/report/series.hpp"
#include "descent/report/svg_chart.hpp"
#include "descent/repro/experiment.hpp"
#include "descent/tune/benchmarks.hpp"
#include "descent/tune/kinds.hpp"
#include "descent/tune/sampler.hpp"

namespace descent::repro {
namespace {

constexpr int kEvaluations = 40, kSeeds = 10;
constexpr double kReachedRegret = 0.01, kRandomFactor = 10;
constexpr int kReachedSeeds = 8;

struct Problem {
  std::string name;
  double (*f)(const std::vector<double>&);
  int dimension;
  double minimum;
};
const std::vector<Problem> kProblems = {{"Branin", tune::branin, 2, tune::kBraninMinimum},
                                        {"Hartmann-6", tune::hartmann6, 6, tune::kHartmann6Minimum}};

struct Method {
  std::string name;
  std::optional<tune::AcquisitionKind> acquisition;  // none: random search
};
const std::vector<Method> kMethods = {{"GP-EI", tune::AcquisitionKind::ei}, {"GP-KG", tune::AcquisitionKind::kg}, {"random search", std::nullopt}};
constexpr std::size_t kEi = 0, kKg = 1, kRandom = 2;        // indices into kMethods
constexpr std::size_t kBranin = 0, kHartmann = 1;           // indices into kProblems

const Criterion kEiReachesBranin{"GP-EI finds Branin's minimum",
                                 fmt::format("simple regret below {} within {} evaluations in at least {} of {} seeds", kReachedRegret,
                                             kEvaluations, kReachedSeeds, kSeeds)};
const Criterion kRandomFarBehind{"random search on Branin is far behind GP-EI",
                                 fmt::format("random search's median simple regret after {} evaluations is at least {:.0f}x GP-EI's",
                                             kEvaluations, kRandomFactor)};
const Criterion kEiBeatsRandomOnHartmann{
    "GP-EI beats random search on Hartmann-6",
    fmt::format("GP-EI's median simple regret after {} evaluations is below random search's ({} seeds)", kEvaluations, kSeeds)};
const Criterion kKgBeatsRandom{"GP-KG beats random search",
                               fmt::format("GP-KG's median simple regret after {} evaluations is below random search's on Branin and "
                                           "on Hartmann-6 ({} seeds)",
                                           kEvaluations, kSeeds)};

tune::SearchSpace unit_cube(int dimension) {
  std::vector<tune::Parameter> parameters;
  for (int d = 0; d < dimension; ++d) parameters.push_back({fmt::format("x{}", d), tune::ParamKind::real, 0.0, 1.0, false, {}});
  return tune::SearchSpace(parameters);
}

std::unique_ptr<tune::Sampler> make_sampler(const Method& method, const Problem& problem, std::uint64_t seed) {
  if (!method.acquisition) return std::make_unique<tune::RandomSampler>(seed);
  tune::BayesianOptions options;
  options.acquisition = *method.acquisition;
  // `descent tune`'s default design size (and bench/tune.cpp's): max(5, 2 x parameters).
  options.initial_trials = std::max(5, 2 * problem.dimension);
  return std::make_unique<tune::BayesianSampler>(options, seed);
}

// The simple regret after each evaluation: the best value so far minus f*.
std::vector<double> regret_curve(tune::Sampler& sampler, const Problem& problem) {
  const tune::SearchSpace space = unit_cube(problem.dimension);
  std::vector<tune::Trial> trials;
  std::vector<double> curve;
  double best = INFINITY;
  for (int n = 0; n < kEvaluations; ++n) {
    tune::Trial trial{n, tune::TrialState::complete, sampler.suggest(space, trials, n), std::nullopt, {}};
    trial.value = problem.f(trial.params);
    best = std::min(best, *trial.value);
    curve.push_back(best - problem.minimum);
    trials.push_back(trial);
  }
  return curve;
}

// curves[s][n]: seed s's regret after n + 1 evaluations.
using Curves = std::vector<std::vector<double>>;

std::vector<double> at_evaluation(const Curves& curves, std::size_t n) {
  std::vector<double> values;
  for (const auto& curve : curves) values.push_back(curve[n]);
  return values;
}

std::vector<double> final_regrets(const Curves& curves) { return at_evaluation(curves, kEvaluations - 1); }


report::BandSeries regret_band(const Curves& curves) {
  report::BandSeries band;
  for (std::size_t n = 0; n < static_cast<std::size_t>(kEvaluations); ++n) {
    band.add_spread(static_cast<double>(n + 1), at_evaluation(curves, n));
  }
  return band;
}

Outcome run_bayesian_optimization(const Context&) {
  // results[p][m]: the regret curves of method m on problem p over seeds 0 .. kSeeds - 1.
  std::vector<std::vector<Curves>> results(kProblems.size(), std::vector<Curves>(kMethods.size()));
  for (std::size_t p = 0; p < kProblems.size(); ++p) {
    for (std::size_t m = 0; m < kMethods.size(); ++m) {
      for (int seed = 0; seed < kSeeds; ++seed) {
        const auto sampler = make_sampler(kMethods[m], kProblems[p], static_cast<std::uint64_t>(seed));
        results[p][m].push_back(regret_curve(*sampler, kProblems[p]));
      }
    }
  }
  const auto final_median = [&](std::size_t p, std::size_t m) { return median(final_regrets(results[p][m])); };
  const auto vs = [&](std::size_t p, std::size_t m) {
    return fmt::format("{} {:.3g} against random search {:.3g}", kMethods[m].name, final_median(p, m), final_median(p, kRandom));
  };

  Outcome outcome;
  const auto branin_ei = final_regrets(results[kBranin][kEi]);
  const auto reached = std::count_if(branin_ei.begin(), branin_ei.end(), [](double r) { return r < kReachedRegret; });
  outcome.record(kEiReachesBranin, fmt::format("{} of {} seeds (median regret {:.3g})", reached, kSeeds, median(branin_ei)),
                 reached >= kReachedSeeds);
  const double ratio = final_median(kBranin, kRandom) / final_median(kBranin, kEi);
  outcome.record(kRandomFarBehind, fmt::format("median regret: {}, a ratio of {:.3g}", vs(kBranin, kEi), ratio), ratio >= kRandomFactor);
  outcome.record(kEiBeatsRandomOnHartmann, vs(kHartmann, kEi), final_median(kHartmann, kEi) < final_median(kHartmann, kRandom));
  outcome.record(kKgBeatsRandom, fmt::format("Branin: {}; Hartmann-6: {}", vs(kBranin, kKg), vs(kHartmann, kKg)),
                 final_median(kBranin, kKg) < final_median(kBranin, kRandom) &&
                     final_median(kHartmann, kKg) < final_median(kHartmann, kRandom));

  std::string md = fmt::format(
      "Minimization over the unit cube, {} evaluations, seeds 0-{}. GP-EI and GP-KG are tune::BayesianSampler with its defaults "
      "(Matern-5/2 kernel, log EI, KG by {} fixed normal quantiles over the observations plus 50 Halton points) after a Halton "
      "design of max(5, 2 x dimension) points; random search is tune::RandomSampler. Simple regret: best value so far minus f*. "
      "Optuna's TPE is not run by this experiment; bench/optuna_tpe.py runs it on the same budgets.\n\n"
      "| function | method | median regret after {} | quartiles | seeds below {} |\n|---|---|---|---|---|\n",
      kEvaluations, kSeeds - 1, tune::BayesianOptions{}.kg_samples, kEvaluations, kReachedRegret);
  for (std::size_t p = 0; p < kProblems.size(); ++p) {
    report::ChartSpec chart{fmt::format("Simple regret against evaluations, {}", kProblems[p].name), "evaluation", "best value - f*", true, {}};
    for (std::size_t m = 0; m < kMethods.size(); ++m) {
      const auto finals = final_regrets(results[p][m]);
      const auto below = std::count_if(finals.begin(), finals.end(), [](double r) { return r < kReachedRegret; });
      md += fmt::format("| {} | {} | {:.3g} | {:.3g} - {:.3g} | {}/{} |\n", kProblems[p].name, kMethods[m].name, median(finals),
                        report::quantile(finals, 0.25), report::quantile(finals, 0.75), below, kSeeds);
      chart.lines.push_back({kMethods[m].name, report::series_color(m), regret_band(results[p][m])});
    }
    outcome.charts.push_back(chart);
  }
  outcome.details_markdown = md;
  return outcome;
}

}  // namespace

Experiment bayesian_optimization_experiment() {
  return {"bayesian-optimization",
          "Frazier, A Tutorial on Bayesian Optimization (arXiv 1807.02811, 2018)",
          "Bayesian optimization with a GP prior and expected improvement or the knowledge gradient finds the minima of Branin and "
          "Hartmann-6 in far fewer evaluations than random search",
          {kEiReachesBranin, kRandomFarBehind, kEiBeatsRandomOnHartmann, kKgBeatsRandom},
          "about twenty seconds",
          Budget::fast,
          run_bayesian_optimization};
}

}  // namespace descent::repro
