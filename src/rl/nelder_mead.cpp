#include "descent/rl/nelder_mead.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace descent::rl {
namespace {

struct Vertex {
  std::vector<double> x;
  double f = 0.0;
};

// Counts evaluations, records the best value after each, and clamps to the box.
class Evaluator {
public:
  Evaluator(const std::function<double(const std::vector<double>&)>& f, const NelderMeadOptions& options, NelderMeadResult& result)
      : f_(f), options_(options), result_(result) {}

  bool exhausted() const { return result_.evaluations >= options_.max_evaluations; }

  std::vector<double> clamp(std::vector<double> x) const {
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!options_.lower.empty()) x[i] = std::max(x[i], options_.lower[i]);
      if (!options_.upper.empty()) x[i] = std::min(x[i], options_.upper[i]);
    }
    return x;
  }

  Vertex operator()(std::vector<double> x) {
    Vertex v{clamp(std::move(x)), 0.0};
    const double value = f_(v.x);
    v.f = std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
    ++result_.evaluations;
    if (result_.best_history.empty() || v.f < result_.value) {
      result_.value = v.f;
      result_.point = v.x;
    }
    result_.best_history.push_back(result_.value);
    return v;
  }

private:
  const std::function<double(const std::vector<double>&)>& f_;
  const NelderMeadOptions& options_;
  NelderMeadResult& result_;
};

// a + t (b - a)
std::vector<double> along(const std::vector<double>& a, const std::vector<double>& b, double t) {
  std::vector<double> x(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) x[i] = a[i] + t * (b[i] - a[i]);
  return x;
}

bool converged(const std::vector<Vertex>& simplex, const NelderMeadOptions& options) {
  double spread = 0.0, size = 0.0;
  for (std::size_t k = 1; k < simplex.size(); ++k) {
    spread = std::max(spread, std::abs(simplex[k].f - simplex[0].f));
    for (std::size_t i = 0; i < simplex[0].x.size(); ++i) size = std::max(size, std::abs(simplex[k].x[i] - simplex[0].x[i]));
  }
  return spread <= options.value_tolerance && size <= options.size_tolerance;
}

void validate(const std::vector<double>& start, const NelderMeadOptions& o) {
  if (start.empty()) throw std::invalid_argument("nelder_mead: an empty start point");
  if (o.max_evaluations < 1) throw std::invalid_argument("nelder_mead: max_evaluations must be positive");
  if (!(o.initial_step > 0.0)) throw std::invalid_argument("nelder_mead: initial_step must be positive");
  for (const auto* bound : {&o.lower, &o.upper}) {
    if (!bound->empty() && bound->size() != start.size()) throw std::invalid_argument("nelder_mead: bounds need one value per coordinate");
  }
  if (!o.lower.empty() && !o.upper.empty()) {
    for (std::size_t i = 0; i < start.size(); ++i) {
      if (o.lower[i] > o.upper[i]) throw std::invalid_argument("nelder_mead: a lower bound above its upper bound");
    }
  }
}

}  // namespace

NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f, std::vector<double> start, const NelderMeadOptions& options) {
  validate(start, options);
  const std::size_t n = start.size();
  const double dimension = static_cast<double>(n);
  const double reflection = 1.0;
  const double expansion = options.adaptive ? 1.0 + 2.0 / dimension : 2.0;
  const double contraction = options.adaptive ? 0.75 - 0.5 / dimension : 0.5;
  const double shrink = options.adaptive ? 1.0 - 1.0 / dimension : 0.5;

  NelderMeadResult result;
  Evaluator evaluate(f, options, result);
  std::vector<Vertex> simplex;
  simplex.push_back(evaluate(start));
  for (std::size_t i = 0; i < n && !evaluate.exhausted(); ++i) {
    std::vector<double> x = simplex[0].x;
    const bool room_above = options.upper.empty() || x[i] + options.initial_step <= options.upper[i];
    x[i] += room_above ? options.initial_step : -options.initial_step;
    simplex.push_back(evaluate(std::move(x)));
  }
  if (simplex.size() < n + 1) return result;  // the budget ran out building the simplex

  const auto by_value = [](const Vertex& a, const Vertex& b) { return a.f < b.f; };
  while (true) {
    std::stable_sort(simplex.begin(), simplex.end(), by_value);
    if (converged(simplex, options)) {
      result.stop = NelderMeadStop::converged;
      break;
    }
    if (evaluate.exhausted()) break;
    ++result.iterations;
    std::vector<double> centroid(n, 0.0);
    for (std::size_t k = 0; k < n; ++k) {
      for (std::size_t i = 0; i < n; ++i) centroid[i] += simplex[k].x[i] / dimension;
    }
    Vertex& worst = simplex[n];
    const double second_worst = simplex[n - 1].f;

    // x_r = c + alpha (c - x_worst), i.e. along(c, x_worst, -alpha).
    const Vertex reflected = evaluate(along(centroid, worst.x, -reflection));
    if (reflected.f < simplex[0].f) {
      if (evaluate.exhausted()) {
        worst = reflected;
        continue;
      }
      const Vertex expanded = evaluate(along(centroid, worst.x, -reflection * expansion));
      worst = expanded.f < reflected.f ? expanded : reflected;
      continue;
    }
    if (reflected.f < second_worst) {
      worst = reflected;
      continue;
    }
    if (evaluate.exhausted()) break;
    if (reflected.f < worst.f) {  // outside contraction, between the centroid and x_r
      const Vertex contracted = evaluate(along(centroid, reflected.x, contraction));
      if (contracted.f <= reflected.f) {
        worst = contracted;
        continue;
      }
    } else {  // inside contraction, between the centroid and the worst
      const Vertex contracted = evaluate(along(centroid, worst.x, contraction));
      if (contracted.f < worst.f) {
        worst = contracted;
        continue;
      }
    }
    // Shrink every vertex towards the best; stops part-way if the budget runs out.
    for (std::size_t k = 1; k <= n && !evaluate.exhausted(); ++k) simplex[k] = evaluate(along(simplex[0].x, simplex[k].x, shrink));
  }
  return result;
}

}  // namespace descent::rl
