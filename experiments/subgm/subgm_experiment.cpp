// subgm-matrix-recovery: the sub-gradient method with small initialization recovers a low-rank
// matrix from measurements with 30% large outliers, as fast over-parameterized (r' = d) as with
// the true rank (Ma & Fattahi, JMLR 2023). The specs' scaled version: d = 20, r = 3,
// m = 10 d r = 600 symmetric Gaussian measurements, outliers 10 ||X*||_F x N(0, 1). The thresholds
// are the specs' proposals; the paper's step rule and constants could not be read here, so both
// methods' step schedules are chosen by a fixed rule on problems the checks never see.
#include <fmt/format.h>

#include <functional>

#include "../study_tools.hpp"
#include "subgm.hpp"

namespace descent::repro {
namespace {

constexpr int kD = 20, kR = 3, kM = 600, kIterations = 2000;
constexpr double kOutliers = 0.3, kAlpha = 1e-3, kLargeAlpha = 1.0;
constexpr double kRecovered = 1e-3, kMilestone = 1e-2, kSlowdown = 2.0, kLargeInitWorse = 10.0, kLeastSquaresFloor = 0.1;
// Step schedules eta_t = eta0 rho^t are chosen on problems the checks never see (seeds 101, 102),
// by a rule fixed in advance: the lowest median final error; the checks run on seeds 1-3.
const std::vector<std::uint64_t> kSelectionSeeds = {101, 102}, kCheckSeeds = {1, 2, 3};
const std::vector<double> kSubgmEta0 = {0.5, 1, 2}, kSubgmRho = {0.99, 0.995, 0.998};
const std::vector<double> kLeastSquaresEta0 = {1e-3, 3e-3, 1e-2, 3e-2}, kLeastSquaresRho = {0.999, 1.0};

const Criterion kRecovers{"alpha = 1e-3: the true matrix is recovered with r' = r and with r' = d",
                          fmt::format("relative error < {:.0e} after {} iterations, for both ranks on all {} check problems", kRecovered,
                                      kIterations, kCheckSeeds.size())};
const Criterion kNoSlowdown{"over-parameterization does not slow it",
                            fmt::format("on every check problem, r' = d reaches relative error {:.0e} within {}x the iterations "
                                        "r' = r needs",
                                        kMilestone, kSlowdown)};
const Criterion kLargeInitFails{"a large initialization (alpha = 1, r' = d) does worse",
                                fmt::format("its final error is at least {:.0f}x that of alpha = 1e-3 on every check problem",
                                            kLargeInitWorse)};
const Criterion kLeastSquaresFails{
    "least squares at its best step cannot recover the matrix under outliers",
    fmt::format("with its step schedule chosen like SubGM's (grid eta0 in {{1e-3 ... 3e-2}}, rho in {{0.999, 1}}), its lowest "
                "error at any iteration stays above {} on every check problem",
                kLeastSquaresFloor)};

struct Schedule {
  double eta0 = 0.0, rho = 0.0;
};

// The lowest finite error of a run (a diverging run's later errors are inf or NaN).
double lowest_error(const subgm::Run& run) {
  double lowest = INFINITY;
  for (const double e : run.errors) {
    if (std::isfinite(e)) lowest = std::min(lowest, e);
  }
  return lowest;
}

// The schedule with the lowest median (over the selection problems) of `score`.
Schedule choose_schedule(const std::vector<double>& eta0s, const std::vector<double>& rhos,
                         const std::function<double(const subgm::Problem&, const Schedule&)>& score) {
  std::vector<subgm::Problem> problems;
  for (const auto seed : kSelectionSeeds) problems.push_back(subgm::make_problem(kD, kR, kM, kOutliers, 10.0, seed));
  Schedule best;
  double best_score = INFINITY;
  for (const double eta0 : eta0s) {
    for (const double rho : rhos) {
      std::vector<double> scores;
      for (const auto& problem : problems) scores.push_back(score(problem, {eta0, rho}));
      std::sort(scores.begin(), scores.end());
      const double median = 0.5 * (scores[(scores.size() - 1) / 2] + scores[scores.size() / 2]);
      if (median < best_score) best_score = median, best = {eta0, rho};
    }
  }
  return best;
}

struct ProblemResult {
  subgm::Run exact, over, large_init, least_squares;
};

Outcome run_subgm(const Context&) {
  const Schedule subgm_schedule = choose_schedule(kSubgmEta0, kSubgmRho, [](const subgm::Problem& problem, const Schedule& s) {
    return subgm::solve(problem, kD, kAlpha, s.eta0, s.rho, kIterations, 2).errors.back();
  });
  const Schedule ls_schedule = choose_schedule(kLeastSquaresEta0, kLeastSquaresRho, [](const subgm::Problem& problem, const Schedule& s) {
    return lowest_error(subgm::solve(problem, kD, kAlpha, s.eta0, s.rho, kIterations, 2, /*least_squares=*/true));
  });

  std::vector<ProblemResult> results;
  for (const auto seed : kCheckSeeds) {
    const auto problem = subgm::make_problem(kD, kR, kM, kOutliers, 10.0, seed);
    const auto& [eta0, rho] = subgm_schedule;
    results.push_back({subgm::solve(problem, kR, kAlpha, eta0, rho, kIterations, seed + 1),
                       subgm::solve(problem, kD, kAlpha, eta0, rho, kIterations, seed + 1),
                       subgm::solve(problem, kD, kLargeAlpha, eta0, rho, kIterations, seed + 1),
                       subgm::solve(problem, kD, kAlpha, ls_schedule.eta0, ls_schedule.rho, kIterations, seed + 1, true)});
  }

  bool recovered = true, no_slowdown = true, large_worse = true, ls_fails = true;
  std::vector<std::string> recovery, milestones, large, ls;
  for (const auto& r : results) {
    const double e_exact = r.exact.errors.back(), e_over = r.over.errors.back(), e_large = r.large_init.errors.back();
    recovered = recovered && e_exact < kRecovered && e_over < kRecovered;
    recovery.push_back(fmt::format("{:.2e} / {:.2e}", e_exact, e_over));
    const int t_exact = r.exact.iterations_to(kMilestone), t_over = r.over.iterations_to(kMilestone);
    no_slowdown = no_slowdown && t_exact > 0 && t_over > 0 && t_over <= kSlowdown * t_exact;
    milestones.push_back(fmt::format("{} / {}", t_exact, t_over));
    large_worse = large_worse && !(e_large < kLargeInitWorse * e_over);
    large.push_back(fmt::format("{:.2e} vs {:.2e}", e_large, e_over));
    ls_fails = ls_fails && !(lowest_error(r.least_squares) <= kLeastSquaresFloor);
    ls.push_back(fmt::format("{:.3g}", lowest_error(r.least_squares)));
  }
  Outcome outcome;
  outcome.record(kRecovers, fmt::format("r' = r / r' = d per problem: {}", fmt::join(recovery, "; ")), recovered);
  outcome.record(kNoSlowdown, fmt::format("iterations r' = r / r' = d per problem: {}", fmt::join(milestones, "; ")), no_slowdown);
  outcome.record(kLargeInitFails, fmt::format("per problem: {}", fmt::join(large, "; ")), large_worse);
  outcome.record(kLeastSquaresFails, fmt::format("lowest error per problem: {}", fmt::join(ls, "; ")), ls_fails);

  report::ChartSpec chart{"Relative error ||UU^T - X*||_F / ||X*||_F against iteration (first check problem)", "iteration",
                          "relative error", true, {}};
  std::size_t colour = 0;
  const auto& first = results.front();
  for (const auto& [label, run] : {std::pair{"SubGM r'=r, alpha 1e-3", &first.exact}, std::pair{"SubGM r'=d, alpha 1e-3", &first.over},
                                   std::pair{"SubGM r'=d, alpha 1", &first.large_init},
                                   std::pair{"least squares r'=d", &first.least_squares}}) {
    report::BandSeries band;
    for (std::size_t t = 0; t < run->errors.size(); t += 10) {
      if (!(run->errors[t] > 0) || !std::isfinite(run->errors[t])) continue;
      band.add(static_cast<double>(t + 1), run->errors[t]);
    }
    chart.lines.push_back({label, report::series_color(colour++), band});
  }
  outcome.charts.push_back(chart);
  // Where r' = d stops: the extra columns of U start at the size of alpha and the decayed step can
  // no longer shrink them, so the final error should follow alpha if that is what limits it.
  std::string by_alpha = "| alpha | final error r' = d, first check problem |\n|---|---|\n";
  const auto problem = subgm::make_problem(kD, kR, kM, kOutliers, 10.0, kCheckSeeds.front());
  for (const double alpha : {1e-2, 1e-3, 1e-4, 1e-5, 1e-6}) {
    const auto run = subgm::solve(problem, kD, alpha, subgm_schedule.eta0, subgm_schedule.rho, kIterations, kCheckSeeds.front() + 1);
    by_alpha += fmt::format("| {:.0e} | {:.2e} |\n", alpha, run.errors.back());
  }
  outcome.details_markdown = fmt::format(
      "d = {}, r = {}, m = {}, outlier fraction {}, {} iterations. Step schedules chosen on problem seeds 101 and 102 (lowest "
      "median final error of r' = d for SubGM over eta0 in {{0.5, 1, 2}} x rho in {{0.99, 0.995, 0.998}}; lowest median error "
      "at any iteration for least squares): SubGM eta_t = {} x {}^t, least squares eta_t = {} x {}^t. Checked on problem "
      "seeds 1-3. The first version chose SubGM's schedule on the problem it was checked on and gave least squares a "
      "hand-picked step.\n\nThe over-parameterized run's final error against the initialization scale (reported, not "
      "checked):\n\n{}{}",
      kD, kR, kM, kOutliers, kIterations, subgm_schedule.eta0, subgm_schedule.rho, ls_schedule.eta0, ls_schedule.rho, by_alpha,
      recovered ? ""
                : "\nWhere r' = d stops short of 1e-3, the table shows whether the initialization scale is what limits it: an error "
                  "that barely moves over five decades of alpha is not alpha's floor but the step schedule's (sub-gradient "
                  "steps oscillate at the size of the step, and the geometric schedule has decayed before the extra columns of U "
                  "shrink). The paper's step rule and iteration count could not be read here, so this FAIL is kept as a "
                  "finding about this schedule family and budget, not as evidence against the claim; the alpha = 1 check fails "
                  "with it, since it compares against the stalled run.\n");
  return outcome;
}

}  // namespace

Experiment subgm_experiment() {
  return {"subgm-matrix-recovery",
          "Ma & Fattahi, Global Convergence of Sub-gradient Method for Robust Matrix Recovery (JMLR 2023)",
          "with small initialization the l1 sub-gradient method recovers the low-rank matrix despite dense large outliers, "
          "and over-parameterization does not slow it; a large initialization and least squares fail",
          {kRecovers, kNoSlowdown, kLargeInitFails, kLeastSquaresFails},
          "about twenty seconds",
          Budget::fast,
          run_subgm};
}

}  // namespace descent::repro
