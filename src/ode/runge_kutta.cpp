#include "descent/ode/runge_kutta.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "descent/core/error.hpp"

namespace descent::ode {
namespace {

ButcherTableau dormand_prince() {
  ButcherTableau t{"dopri5", 5, {}, {}, {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0}, {}};
  t.a = {{},
         {1.0 / 5},
         {3.0 / 40, 9.0 / 40},
         {44.0 / 45, -56.0 / 15, 32.0 / 9},
         {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
         {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
         {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
  t.b = {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0.0};
  const std::vector<double> fourth = {5179.0 / 57600, 0.0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40};
  for (std::size_t i = 0; i < t.b.size(); ++i) t.b_error.push_back(t.b[i] - fourth[i]);
  return t;
}

// Tsitouras (2011), "Runge-Kutta pairs of order 5(4) satisfying only the first column simplifying assumption".
ButcherTableau tsitouras() {
  ButcherTableau t{"tsit5", 5, {}, {}, {0.0, 0.161, 0.327, 0.9, 0.98002554090450968573, 1.0, 1.0}, {}};
  t.a = {{},
         {0.161},
         {-0.0084806554923569885444, 0.33548065549235698854},
         {2.8971530571054934321, -6.3594484899750748431, 4.3622954328695814110},
         {5.3258648284392566044, -11.748883564062827878, 7.4955393428898362083, -0.092495066361755249257},
         {5.8614554429464200287, -12.920969317847109292, 8.1593678985761586432, -0.071584973281400997225, -0.028269050394068382909},
         {0.096460766818065229518, 0.01, 0.47988965041449957478, 1.3790085741037418932, -3.2900695154360806799, 2.3247105240997739824}};
  t.b = {0.096460766818065229518, 0.01, 0.47988965041449957478, 1.3790085741037418932, -3.2900695154360806799, 2.3247105240997739824, 0.0};
  const std::vector<double> fourth = {0.094680755765839458075, 0.0091835655403432530968, 0.48777052842476157079, 1.2342975669304789857,
                                      -2.7077123499835254549, 1.8666284181705870358, 1.0 / 66};
  for (std::size_t i = 0; i < t.b.size(); ++i) t.b_error.push_back(t.b[i] - fourth[i]);
  return t;
}

const std::map<std::string, ButcherTableau>& tableaus() {
  static const std::map<std::string, ButcherTableau> all = {
      {"euler", {"euler", 1, {{}}, {1.0}, {0.0}, {}}},
      {"heun", {"heun", 2, {{}, {1.0}}, {0.5, 0.5}, {0.0, 1.0}, {}}},
      {"rk4", {"rk4", 4, {{}, {0.5}, {0.0, 0.5}, {0.0, 0.0, 1.0}}, {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}, {0.0, 0.5, 0.5, 1.0}, {}}},
      {"dopri5", dormand_prince()},
      {"tsit5", tsitouras()}};
  return all;
}

// sum_j weights[j] k[j], skipping zero weights; an undefined tensor when every weight is 0.
torch::Tensor combine(const std::vector<double>& weights, const std::vector<torch::Tensor>& k) {
  torch::Tensor sum;
  for (std::size_t j = 0; j < weights.size() && j < k.size(); ++j) {
    if (weights[j] == 0.0) continue;
    sum = sum.defined() ? sum + weights[j] * k[j] : weights[j] * k[j];
  }
  return sum;
}

// RMS of error / (atol + rtol max(|y|, |y_next|)), on detached values: the controller's choices are not differentiated.
double error_norm(const torch::Tensor& error, const torch::Tensor& y, const torch::Tensor& y_next, const AdaptiveOptions& options) {
  torch::NoGradGuard no_grad;
  const torch::Tensor scale = options.atol + options.rtol * torch::maximum(y.abs(), y_next.abs());
  return (error / scale).pow(2).mean().sqrt().item<double>();
}

double rms(const torch::Tensor& t) {
  torch::NoGradGuard no_grad;
  return t.pow(2).mean().sqrt().item<double>();
}

// Hairer, Norsett & Wanner's starting step (Solving ODEs I, II.4), for a solution of order `order`.
double starting_step(const VectorField& f, double t0, const torch::Tensor& y0, double direction, int order, const AdaptiveOptions& options,
                     SolveStatistics& statistics) {
  torch::NoGradGuard no_grad;
  const torch::Tensor scale = options.atol + options.rtol * y0.abs();
  const torch::Tensor f0 = f(t0, y0);
  const double d0 = rms(y0 / scale), d1 = rms(f0 / scale);
  const double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
  const torch::Tensor f1 = f(t0 + direction * h0, y0 + direction * h0 * f0);
  statistics.evaluations += 2;
  const double d2 = rms((f1 - f0) / scale) / h0;
  const double h1 = std::max(d1, d2) <= 1e-15 ? std::max(1e-6, h0 * 1e-3) : std::pow(0.01 / std::max(d1, d2), 1.0 / (order + 1));
  return std::min(100 * h0, h1);
}

}  // namespace

const ButcherTableau& tableau(const std::string& name) {
  const auto found = tableaus().find(name);
  if (found == tableaus().end()) throw ConfigError(fmt::format("unknown Runge-Kutta method '{}' (euler, heun, rk4, dopri5, tsit5)", name));
  return found->second;
}

torch::Tensor runge_kutta_step(const ButcherTableau& method, const VectorField& f, double t, const torch::Tensor& y, double h,
                               torch::Tensor* error) {
  std::vector<torch::Tensor> k;
  k.reserve(method.b.size());
  for (std::size_t i = 0; i < method.b.size(); ++i) {
    const torch::Tensor increment = combine(method.a[i], k);
    k.push_back(f(t + method.c[i] * h, increment.defined() ? y + h * increment : y));
  }
  if (error != nullptr && !method.b_error.empty()) *error = h * combine(method.b_error, k);
  return y + h * combine(method.b, k);
}

torch::Tensor integrate_fixed(const ButcherTableau& method, const VectorField& f, torch::Tensor y0, double t0, double t1, std::int64_t steps) {
  if (steps < 1) throw ConfigError(fmt::format("integrate_fixed: {} steps (must be positive)", steps));
  const double h = (t1 - t0) / static_cast<double>(steps);
  torch::Tensor y = std::move(y0);
  for (std::int64_t n = 0; n < steps; ++n) y = runge_kutta_step(method, f, t0 + static_cast<double>(n) * h, y, h);
  return y;
}

std::vector<torch::Tensor> integrate_adaptive(const ButcherTableau& method, const VectorField& f, const torch::Tensor& y0,
                                              std::span<const double> times, const AdaptiveOptions& options, SolveStatistics* statistics) {
  if (method.b_error.empty()) throw ConfigError(fmt::format("integrate_adaptive: {} has no error estimate (dopri5, tsit5)", method.name));
  if (times.empty()) throw ConfigError("integrate_adaptive: no output times");
  const double direction = times.size() > 1 && times.back() < times.front() ? -1.0 : 1.0;
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (!((times[i] - times[i - 1]) * direction >= 0.0)) throw ConfigError("integrate_adaptive: output times are not monotone");
  }
  SolveStatistics local;
  SolveStatistics& stats = statistics ? *statistics : local;
  const int estimate_order = method.order;  // the embedded solution's order + 1
  std::vector<torch::Tensor> out = {y0};
  torch::Tensor y = y0;
  double t = times.front();
  double h = options.first_step > 0 ? options.first_step : starting_step(f, t, y0, direction, method.order, options, stats);
  double previous_error = 1.0;
  for (std::size_t next = 1; next < times.size(); ++next) {
    while ((times[next] - t) * direction > 0.0) {
      if (stats.accepted + stats.rejected >= options.max_steps) {
        throw Error(ExitCode::runtime_failure, fmt::format("integrate_adaptive ({}): more than {} steps before t = {}", method.name, options.max_steps, times[next]));
      }
      // Within round-off of the output time counts as reaching it (no sliver of a step left).
      const bool last = h >= std::abs(times[next] - t) * (1.0 - 1e-10);
      const double step = last ? times[next] - t : direction * h;
      if (std::abs(step) <= 1e-14 * std::max(1.0, std::abs(t))) {
        throw Error(ExitCode::runtime_failure, fmt::format("integrate_adaptive ({}): step size underflow at t = {}", method.name, t));
      }
      torch::Tensor error;
      const torch::Tensor candidate = runge_kutta_step(method, f, t, y, step, &error);
      stats.evaluations += static_cast<std::int64_t>(method.b.size());
      const double e = error_norm(error, y, candidate, options);
      const double factor = std::isfinite(e) ? options.safety * std::pow(std::max(e, 1e-10), -0.7 / estimate_order) *
                                                   std::pow(previous_error, 0.4 / estimate_order)
                                             : options.min_factor;
      if (e <= 1.0) {
        ++stats.accepted;
        y = candidate;
        t = last ? times[next] : t + step;
        previous_error = std::max(e, 1e-10);
        // A step cut short to land on an output time says little about the size the solution
        // allows: keep the size it replaced unless the controller asks for more.
        const double proposed = std::abs(step) * std::clamp(factor, options.min_factor, options.max_factor);
        h = last ? std::max(h, proposed) : proposed;
      } else {
        ++stats.rejected;
        h = std::abs(step) * std::clamp(factor, options.min_factor, 1.0);
      }
    }
    out.push_back(y);
  }
  return out;
}

}  // namespace descent::ode
