#include "descent/ode/neural_cde.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"

namespace descent::ode {

torch::Tensor solve_cde(const ButcherTableau& method, const ControlledField& field, const ControlPath& path, torch::Tensor z0,
                        std::int64_t steps_per_interval) {
  if (steps_per_interval < 1) throw ConfigError(fmt::format("solve_cde: {} steps per interval (must be positive)", steps_per_interval));
  torch::Tensor z = std::move(z0);
  for (std::int64_t i = 0; i < path.intervals(); ++i) {
    const double start = path.knots()[static_cast<std::size_t>(i)];
    const double h = (path.knots()[static_cast<std::size_t>(i) + 1] - start) / static_cast<double>(steps_per_interval);
    // dz/ds = f(z) dX/ds on this interval's piece of the path.
    const VectorField driven = [&](double s, const torch::Tensor& state) {
      return torch::matmul(field(state), path.derivative(i, s).unsqueeze(-1)).squeeze(-1);
    };
    for (std::int64_t n = 0; n < steps_per_interval; ++n) z = runge_kutta_step(method, driven, start + static_cast<double>(n) * h, z, h);
  }
  return z;
}

NeuralCdeImpl::NeuralCdeImpl(const NeuralCdeOptions& options)
    : options_(options),
      initial_(register_module("initial", torch::nn::Linear(options.channels, options.hidden))),
      first_(register_module("first", torch::nn::Linear(options.hidden, options.width))),
      second_(register_module("second", torch::nn::Linear(options.width, options.hidden * options.channels))),
      readout_(register_module("readout", torch::nn::Linear(options.hidden, options.outputs))) {
  tableau(options.method);  // an unknown method is refused now, not at the first forward
}

torch::Tensor NeuralCdeImpl::field(const torch::Tensor& z) {
  return torch::tanh(second_->forward(torch::softplus(first_->forward(z)))).view({z.size(0), options_.hidden, options_.channels});
}

torch::Tensor NeuralCdeImpl::terminal_state(const ControlPath& path) {
  if (path.channels() != options_.channels) {
    throw ConfigError(fmt::format("neural CDE of {} channels given a path of {}", options_.channels, path.channels()));
  }
  const torch::Tensor z0 = initial_->forward(path.value(0, path.knots().front()));
  return solve_cde(tableau(options_.method), [this](const torch::Tensor& z) { return field(z); }, path, z0, options_.steps_per_interval);
}

torch::Tensor NeuralCdeImpl::forward(const ControlPath& path) { return readout_->forward(terminal_state(path)); }

IrregularSeries irregular_spirals(std::int64_t count, std::int64_t length, std::int64_t observed, double noise, std::uint64_t seed) {
  if (count < 1 || observed < 2 || observed > length) {
    throw ConfigError(fmt::format("irregular spirals: {} series keeping {} of {} times (need count >= 1, 2 <= observed <= length)", count, observed, length));
  }
  constexpr double kSpan = 4.0 * M_PI;
  Rng rng(seed);
  IrregularSeries data{torch::empty({count, observed, 3}, torch::kFloat64), torch::empty({count}, torch::kInt64)};
  auto values = data.values.accessor<double, 3>();
  std::vector<std::int64_t> times(static_cast<std::size_t>(length));
  for (std::int64_t series = 0; series < count; ++series) {
    const bool clockwise = series % 2 == 1;
    const double phase = 2.0 * M_PI * rng.uniform();
    // A partial Fisher-Yates shuffle picks which times this series keeps.
    std::iota(times.begin(), times.end(), std::int64_t{0});
    for (std::int64_t k = 0; k < observed; ++k) std::swap(times[static_cast<std::size_t>(k)], times[static_cast<std::size_t>(k + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(length - k))))]);
    std::sort(times.begin(), times.begin() + observed);
    for (std::int64_t k = 0; k < observed; ++k) {
      const double t = kSpan * static_cast<double>(times[static_cast<std::size_t>(k)]) / static_cast<double>(length - 1);
      const double radius = 1.0 / (1.0 + 0.5 * t);
      values[series][k][0] = t / kSpan;
      values[series][k][1] = (clockwise ? -1.0 : 1.0) * radius * std::cos(t + phase) + noise * rng.normal();
      values[series][k][2] = radius * std::sin(t + phase) + noise * rng.normal();
    }
    data.labels[series] = clockwise ? 1 : 0;
  }
  return data;
}

}  // namespace descent::ode
