// The Nelder-Mead simplex minimizer (Nelder & Mead, "A simplex method for function minimization",
// Computer Journal 1965), in the form of Lagarias, Reeds, Wright & Wright, "Convergence
// properties of the Nelder-Mead simplex method in low dimensions" (SIAM J. Optim. 1998): order the
// n + 1 vertices, reflect the worst through the centroid of the others, then expand, contract
// outside or inside, or shrink towards the best. Derivative-free, so it is the classical baseline
// the shape-optimization environment (channel_flow.hpp) reports against, in solver calls.
//
// Coefficients: the standard reflection 1, expansion 2, contraction 0.5, shrink 0.5; with
// `adaptive` those of Gao & Han, "Implementing the Nelder-Mead simplex algorithm with adaptive
// parameters" (Comput. Optim. Appl. 2012): 1, 1 + 2/n, 0.75 - 1/(2n), 1 - 1/n, which keep the
// simplex from degenerating in higher dimensions.
//
// Initial simplex: the start and start + step e_i for each coordinate i (start - step e_i where
// that leaves the upper bound). Box bounds, when given, are handled by clamping: every trial
// point is projected onto the box before it is evaluated, and the projected point is what enters
// the simplex. This keeps every evaluation feasible (the channel solver rejects shapes outside its
// bounds) at the price that the simplex may flatten against a face; an optimum on the boundary is
// usually still reached, since points on the face keep moving within it, but a simplex flattened
// against a face can stall short of an interior optimum nearby (restart from the best point if
// that matters).
//
// Stops when the evaluations reach max_evaluations (never more), or when both the value spread
// max_i |f_i - f_best| <= value_tolerance and the simplex size max_i ||x_i - x_best||_inf <=
// size_tolerance (scipy's fatol / xatol rule). Deterministic: ties keep their earlier order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace descent::rl {

struct NelderMeadOptions {
  std::int64_t max_evaluations = 1000;
  double initial_step = 0.1;  // edge of the initial simplex along each coordinate
  double value_tolerance = 1e-10;
  double size_tolerance = 1e-10;
  bool adaptive = false;        // Gao-Han coefficients instead of the standard ones
  std::vector<double> lower{};  // empty: unbounded; else one per coordinate
  std::vector<double> upper{};
};

enum class NelderMeadStop { max_evaluations, converged };

struct NelderMeadResult {
  std::vector<double> point;
  double value = 0.0;
  std::int64_t evaluations = 0;
  std::int64_t iterations = 0;
  NelderMeadStop stop = NelderMeadStop::max_evaluations;
  std::vector<double> best_history;  // best value after each evaluation (evaluations entries)
};

// Minimizes f from `start`. Throws std::invalid_argument for an empty start, bounds of the wrong
// size or with lower > upper, a non-positive step, or max_evaluations < 1. A non-finite f value is
// treated as +infinity (worse than any point).
NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f, std::vector<double> start,
                             const NelderMeadOptions& options = {});

}  // namespace descent::rl
