// Maximization of a smooth function over a box with its gradient: limited-memory BFGS directions,
// projected onto the box, with a backtracking (Armijo) line search; when a quasi-Newton step
// fails to improve, a projected-gradient step; stops when neither improves. Used to fit the
// Gaussian process's hyperparameters and to maximize acquisition functions.
#pragma once

#include <functional>
#include <vector>

namespace descent::tune {

// Returns f(x) and writes its gradient.
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>& gradient)>;

struct MaximizeResult {
  std::vector<double> x;
  double value = 0.0;
  int evaluations = 0;
};

MaximizeResult maximize_in_box(const Objective& f, std::vector<double> start, const std::vector<double>& lower,
                               const std::vector<double>& upper, int max_iterations = 100, double tolerance = 1e-9);

}  // namespace descent::tune
