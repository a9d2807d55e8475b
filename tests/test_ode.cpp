// The ODE solvers against exact solutions: orders of convergence of the fixed-step methods,
// tolerance-proportional accuracy of the adaptive pairs, the reversible Heun step undone to
// round-off, and the continuous adjoint against backpropagation through the solver.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/models/neural_ode_classifier.hpp"
#include "descent/models/options.hpp"
#include "descent/ode/adjoint.hpp"
#include "descent/ode/reversible_heun.hpp"
#include "descent/ode/runge_kutta.hpp"

namespace descent::ode {
namespace {

const VectorField kDecay = [](double, const torch::Tensor& y) { return -y; };

torch::Tensor one(double value) { return torch::full({1}, value, torch::kFloat64); }

double fixed_error(const std::string& method, std::int64_t steps) {
  return std::abs(integrate_fixed(tableau(method), kDecay, one(1.0), 0.0, 1.0, steps).item<double>() - std::exp(-1.0));
}

TEST(RungeKutta, FixedStepMethodsConvergeAtTheirOrder) {
  for (const auto& [method, order] : {std::pair{"euler", 1}, std::pair{"heun", 2}, std::pair{"rk4", 4}}) {
    const double ratio = fixed_error(method, 20) / fixed_error(method, 40);
    EXPECT_NEAR(ratio, std::pow(2.0, order), 0.1 * std::pow(2.0, order)) << method;
  }
  // The specs' check: RK4's error ratio between h and h/2 is 16 +- 10%.
  EXPECT_NEAR(fixed_error("rk4", 10) / fixed_error("rk4", 20), 16.0, 1.6);
}

TEST(RungeKutta, AdaptivePairsMeetTheirTolerance) {
  for (const char* method : {"dopri5", "tsit5"}) {
    SolveStatistics stats;
    const std::vector<double> times = {0.0, 0.25, 1.0};
    const auto ys = integrate_adaptive(tableau(method), kDecay, one(1.0), times, {1e-8, 1e-10}, &stats);
    ASSERT_EQ(ys.size(), 3u);
    EXPECT_EQ(ys[0].item<double>(), 1.0);
    EXPECT_LT(std::abs(ys[1].item<double>() - std::exp(-0.25)), 1e-7) << method;
    EXPECT_LT(std::abs(ys[2].item<double>() - std::exp(-1.0)), 1e-7) << method;  // the specs' (a)
    EXPECT_GT(stats.accepted, 3) << method;
    // A looser tolerance takes fewer steps and stays within about its tolerance.
    SolveStatistics loose;
    const auto coarse = integrate_adaptive(tableau(method), kDecay, one(1.0), times, {1e-4, 1e-6}, &loose);
    EXPECT_LT(loose.accepted, stats.accepted) << method;
    EXPECT_LT(std::abs(coarse[2].item<double>() - std::exp(-1.0)), 1e-4) << method;
  }
}

// Backwards in time, and a rotation whose exact solution is known at every time.
TEST(RungeKutta, AdaptiveSolvesBackwardsAndInTwoDimensions) {
  const std::vector<double> back = {1.0, 0.0};
  const auto ys = integrate_adaptive(tableau("dopri5"), kDecay, one(std::exp(-1.0)), back, {1e-9, 1e-12});
  EXPECT_NEAR(ys[1].item<double>(), 1.0, 1e-8);
  const VectorField rotation = [](double, const torch::Tensor& y) { return torch::stack({-y[1], y[0]}); };
  const std::vector<double> times = {0.0, 1.0, 2.0, 3.0};
  const auto circle = integrate_adaptive(tableau("tsit5"), rotation, torch::tensor({1.0, 0.0}, torch::kFloat64), times, {1e-9, 1e-12});
  for (std::size_t i = 0; i < times.size(); ++i) {
    EXPECT_NEAR(circle[i][0].item<double>(), std::cos(times[i]), 1e-7);
    EXPECT_NEAR(circle[i][1].item<double>(), std::sin(times[i]), 1e-7);
  }
}

TEST(RungeKutta, BadInputsAreNamed) {
  EXPECT_THROW(tableau("rk45"), ConfigError);
  const std::vector<double> unordered = {0.0, 1.0, 0.5};
  EXPECT_THROW(integrate_adaptive(tableau("dopri5"), kDecay, one(1.0), unordered), ConfigError);
  const std::vector<double> times = {0.0, 1.0};
  EXPECT_THROW(integrate_adaptive(tableau("rk4"), kDecay, one(1.0), times), ConfigError);
  EXPECT_THROW(integrate_fixed(tableau("rk4"), kDecay, one(1.0), 0.0, 1.0, 0), ConfigError);
}

// A small tanh network as the vector field, in double.
struct SmallField {
  torch::Tensor w1, b1, w2;
  explicit SmallField(std::uint64_t seed) {
    torch::Generator g = at::detail::createCPUGenerator(seed);
    w1 = (torch::randn({8, 3}, g, torch::kFloat64) * 0.7).requires_grad_(true);
    b1 = (torch::randn({8}, g, torch::kFloat64) * 0.3).requires_grad_(true);
    w2 = (torch::randn({3, 8}, g, torch::kFloat64) * 0.5).requires_grad_(true);
  }
  VectorField field() const {
    return [this](double t, const torch::Tensor& y) { return torch::mv(w2, torch::tanh(torch::mv(w1, y) + b1 * (1.0 + 0.5 * t))); };
  }
};

TEST(ReversibleHeun, ThousandStepsUndoneToRoundOff) {
  const SmallField net(1);
  torch::NoGradGuard no_grad;
  const VectorField f = net.field();
  const torch::Tensor y0 = torch::tensor({0.5, -0.3, 0.8}, torch::kFloat64);
  ReversibleHeunState state = reversible_heun_start(f, 0.0, y0);
  const double dt = 0.002;
  for (int n = 0; n < 1000; ++n) state = reversible_heun_step(f, state, dt);
  for (int n = 0; n < 1000; ++n) state = reversible_heun_step_back(f, state, dt);
  EXPECT_LT((state.y - y0).abs().max().item<double>(), 1e-10);      // the specs' (c)
  EXPECT_LT((state.y_hat - y0).abs().max().item<double>(), 1e-10);
  EXPECT_NEAR(state.t, 0.0, 1e-12);
}

TEST(ReversibleHeun, IsSecondOrder) {
  const auto solve = [](int steps) {
    ReversibleHeunState state = reversible_heun_start(kDecay, 0.0, one(1.0));
    for (int n = 0; n < steps; ++n) state = reversible_heun_step(kDecay, state, 1.0 / steps);
    return std::abs(state.y.item<double>() - std::exp(-1.0));
  };
  EXPECT_NEAR(solve(100) / solve(200), 4.0, 0.4);
}

TEST(Adjoint, MatchesBackpropagationThroughTheSolver) {
  const SmallField net(2);
  const VectorField f = net.field();
  const torch::Tensor y0 = torch::tensor({0.4, 0.1, -0.6}, torch::kFloat64).requires_grad_(true);
  const std::vector<double> times = {0.0, 1.5};
  const AdaptiveOptions tight{1e-10, 1e-12};
  const torch::Tensor y1 = integrate_adaptive(tableau("dopri5"), f, y0, times, tight).back();
  const torch::Tensor target = torch::tensor({1.0, -1.0, 0.5}, torch::kFloat64);
  const torch::Tensor loss = (y1 - target).pow(2).sum();
  const std::vector<torch::Tensor> parameters = {net.w1, net.b1, net.w2};
  std::vector<torch::Tensor> inputs = {y0};
  inputs.insert(inputs.end(), parameters.begin(), parameters.end());
  const auto backprop = torch::autograd::grad({loss}, inputs);

  const AdjointGradients adjoint = adjoint_gradients(tableau("dopri5"), f, parameters, y1.detach(), 2 * (y1.detach() - target), 0.0, 1.5, tight);
  const auto relative = [](const torch::Tensor& a, const torch::Tensor& b) { return ((a - b).norm() / b.norm()).item<double>(); };
  EXPECT_LT(relative(adjoint.initial_state, backprop[0]), 1e-4);  // the specs' (b)
  for (std::size_t i = 0; i < parameters.size(); ++i) EXPECT_LT(relative(adjoint.parameters[i], backprop[i + 1]), 1e-4) << i;
}

// Noise-free spirals lie on their arm: the point at radius r sits at angle 3 pi r + c pi (mod 2 pi).
TEST(TwoSpirals, PointsLieOnTheirClassArm) {
  const data::Splits splits = data::two_spirals({500, 10, 0.0}, 5);
  std::int64_t ones = 0;
  for (std::int64_t i = 0; i < splits.train.size(); ++i) {
    const double x = splits.train.features[2 * i], y = splits.train.features[2 * i + 1];
    const double r = std::hypot(x, y), expected = 3.0 * M_PI * r + M_PI * static_cast<double>(splits.train.labels[i]);
    const double gap = std::remainder(std::atan2(y, x) - expected, 2.0 * M_PI);
    EXPECT_LT(std::abs(gap), 1e-5 / std::max(r, 1e-3)) << i;
    ones += splits.train.labels[i];
  }
  EXPECT_NEAR(static_cast<double>(ones), 250.0, 4 * std::sqrt(125.0));
}

// One Euler step of the flow is h + g(h), h the input with its augmented zero; RK4's forward is
// the fixed-step solve of the same field; gradients reach the field.
TEST(NeuralOdeClassifier, ForwardIsTheSolvedFlowThenTheReadout) {
  torch::manual_seed(1);
  models::NeuralOdeClassifier euler(2, 1, {16}, 3, "tanh", "euler", 1);
  const torch::Tensor x = torch::randn({5, 2});
  const torch::Tensor h = torch::cat({x, torch::zeros({5, 1})}, 1);
  EXPECT_TRUE(torch::allclose(euler.forward(x), euler.readout->forward(h + euler.field->forward(h)), 1e-6, 1e-6));

  models::NeuralOdeClassifier rk4(2, 1, {16}, 3, "tanh", "rk4", 4);
  const VectorField g = [&](double, const torch::Tensor& state) { return rk4.field->forward(state); };
  const torch::Tensor expected = rk4.readout->forward(integrate_fixed(tableau("rk4"), g, h, 0.0, 1.0, 4));
  EXPECT_TRUE(torch::allclose(rk4.forward(x), expected, 1e-6, 1e-6));
  rk4.forward(x).sum().backward();
  for (const auto& p : rk4.field->parameters()) EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  EXPECT_EQ(rk4.trace(x).names, std::vector<std::string>{"flow"});
  EXPECT_THROW(models::NeuralOdeClassifier(2, 0, {4}, 2, "tanh", "rk45", 4), ConfigError);
  // The adaptive solvers run too.
  models::NeuralOdeClassifier adaptive(2, 0, {8}, 2, "tanh", "dopri5", 4);
  EXPECT_EQ(adaptive.forward(x).sizes(), (std::vector<std::int64_t>{5, 2}));
}

}  // namespace
}  // namespace descent::ode
