#include "descent/tune/maximize.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>

namespace descent::tune {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

void project(std::vector<double>& x, const std::vector<double>& lower, const std::vector<double>& upper) {
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::clamp(x[i], lower[i], upper[i]);
}

struct Pair {
  std::vector<double> s, y;  // step and gradient change (of -f, which L-BFGS minimizes)
  double rho;
};

// The two-loop recursion: an approximation of H^{-1} g for the minimization of -f.
std::vector<double> quasi_newton_direction(const std::deque<Pair>& memory, const std::vector<double>& gradient) {
  std::vector<double> q(gradient.size());
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = -gradient[i];  // gradient of -f
  std::vector<double> alpha(memory.size());
  for (std::size_t k = memory.size(); k-- > 0;) {
    alpha[k] = memory[k].rho * dot(memory[k].s, q);
    for (std::size_t i = 0; i < q.size(); ++i) q[i] -= alpha[k] * memory[k].y[i];
  }
  if (!memory.empty()) {
    const auto& last = memory.back();
    const double scale = dot(last.s, last.y) / dot(last.y, last.y);
    for (double& v : q) v *= scale;
  }
  for (std::size_t k = 0; k < memory.size(); ++k) {
    const double beta = memory[k].rho * dot(memory[k].y, q);
    for (std::size_t i = 0; i < q.size(); ++i) q[i] += memory[k].s[i] * (alpha[k] - beta);
  }
  for (double& v : q) v = -v;  // ascent direction for f
  return q;
}

}  // namespace

MaximizeResult maximize_in_box(const Objective& f, std::vector<double> start, const std::vector<double>& lower,
                               const std::vector<double>& upper, int max_iterations, double tolerance) {
  MaximizeResult result;
  project(start, lower, upper);
  std::vector<double> x = start, gradient(x.size()), trial_gradient(x.size());
  double value = f(x, gradient);
  ++result.evaluations;
  std::deque<Pair> memory;
  constexpr std::size_t kMemory = 8;
  double initial_step = 1.0;
  for (int iteration = 0; iteration < max_iterations && std::isfinite(value); ++iteration) {
    bool improved = false;
    for (int attempt = 0; attempt < 2 && !improved; ++attempt) {
      const bool quasi_newton = attempt == 0 && !memory.empty();
      if (attempt == 0 && memory.empty()) continue;
      std::vector<double> direction = quasi_newton ? quasi_newton_direction(memory, gradient) : gradient;
      if (dot(direction, gradient) <= 0) continue;  // not an ascent direction
      double step = quasi_newton ? 1.0 : initial_step;
      for (int backtrack = 0; backtrack < 30; ++backtrack, step *= 0.5) {
        std::vector<double> trial = x;
        for (std::size_t i = 0; i < x.size(); ++i) trial[i] += step * direction[i];
        project(trial, lower, upper);
        std::vector<double> moved(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) moved[i] = trial[i] - x[i];
        const double predicted = dot(gradient, moved);
        if (predicted <= 0) break;  // the projection left no ascent
        const double trial_value = f(trial, trial_gradient);
        ++result.evaluations;
        if (std::isfinite(trial_value) && trial_value >= value + 1e-4 * predicted) {
          Pair pair{moved, std::vector<double>(x.size()), 0.0};
          for (std::size_t i = 0; i < x.size(); ++i) pair.y[i] = -(trial_gradient[i] - gradient[i]);
          const double curvature = dot(pair.s, pair.y);
          if (curvature > 1e-12) {
            pair.rho = 1.0 / curvature;
            memory.push_back(std::move(pair));
            if (memory.size() > kMemory) memory.pop_front();
          }
          const double gain = trial_value - value;
          x = trial, value = trial_value, gradient = trial_gradient;
          if (!quasi_newton) initial_step = std::min(step * 4.0, 1e3);
          improved = true;
          if (gain <= tolerance * (1.0 + std::abs(value))) iteration = max_iterations;  // converged
          break;
        }
      }
      if (!improved && quasi_newton) memory.clear();
    }
    if (!improved) break;
  }
  result.x = x;
  result.value = value;
  return result;
}

}  // namespace descent::tune
