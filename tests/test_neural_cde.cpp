// The neural CDE's pieces against what they must satisfy exactly: the interpolations through their
// knots (the Hermite path C^1, exact on lines, its derivative the finite difference of its value),
// a CDE driven by time alone equal to the ODE it reduces to, its solution the same under another
// parametrization of the path, and its gradient the finite difference of its output.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/ode/control_path.hpp"
#include "descent/ode/neural_cde.hpp"

namespace descent::ode {
namespace {

const std::vector<double> kKnots = {0.0, 0.4, 1.1, 1.5, 2.6, 3.0};

torch::Tensor random_values(std::int64_t batch, std::int64_t knots, std::int64_t channels, std::uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randn({batch, knots, channels}, torch::kFloat64);
}

double largest_gap(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(ControlPath, LinearGoesThroughItsKnotsAlongTheSlopes) {
  const torch::Tensor x = random_values(3, 6, 2, 1);
  const ControlPath path(x, kKnots, Interpolation::linear);
  for (std::int64_t i = 0; i < path.intervals(); ++i) {
    const double start = kKnots[i], end = kKnots[i + 1];
    EXPECT_LT(largest_gap(path.value(i, start), x.select(1, i)), 1e-15);
    EXPECT_LT(largest_gap(path.value(i, end), x.select(1, i + 1)), 1e-14);
    EXPECT_LT(largest_gap(path.derivative(i, 0.5 * (start + end)), (x.select(1, i + 1) - x.select(1, i)) / (end - start)), 1e-13);
  }
  EXPECT_EQ(path.interval_of(-1.0), 0);
  EXPECT_EQ(path.interval_of(0.4), 1);
  EXPECT_EQ(path.interval_of(2.99), 4);
  EXPECT_EQ(path.interval_of(3.0), 4);
}

TEST(ControlPath, HermiteIsContinuouslyDifferentiableAndExactOnLines) {
  const torch::Tensor x = random_values(3, 6, 2, 2);
  const ControlPath path(x, kKnots, Interpolation::hermite_cubic);
  for (std::int64_t i = 0; i < path.intervals(); ++i) {
    EXPECT_LT(largest_gap(path.value(i, kKnots[i]), x.select(1, i)), 1e-15);
    EXPECT_LT(largest_gap(path.value(i, kKnots[i + 1]), x.select(1, i + 1)), 1e-13);
    // Backward differences: the derivative at an interval's end is that interval's slope, and the
    // next interval starts with it.
    const torch::Tensor slope = (x.select(1, i + 1) - x.select(1, i)) / (kKnots[i + 1] - kKnots[i]);
    EXPECT_LT(largest_gap(path.derivative(i, kKnots[i + 1]), slope), 1e-12);
    if (i + 1 < path.intervals()) EXPECT_LT(largest_gap(path.derivative(i + 1, kKnots[i + 1]), slope), 1e-12);
    const double s = kKnots[i] + 0.37 * (kKnots[i + 1] - kKnots[i]), e = 1e-6;
    EXPECT_LT(largest_gap(path.derivative(i, s), (path.value(i, s + e) - path.value(i, s - e)) / (2 * e)), 1e-8);
  }
  // Observations on a line give the line itself, between the knots too.
  const torch::Tensor knots = torch::tensor(kKnots, torch::kFloat64);
  const torch::Tensor line = (0.5 - 2.0 * knots).view({1, -1, 1});
  const ControlPath straight(line, kKnots, Interpolation::hermite_cubic);
  for (const double s : {0.1, 0.9, 1.3, 2.2, 2.9}) {
    EXPECT_NEAR(straight.value(s).item<double>(), 0.5 - 2.0 * s, 1e-14);
    EXPECT_NEAR(straight.derivative(s).item<double>(), -2.0, 1e-13);
  }
}

TEST(ControlPath, BadShapesAndKnotsAreNamed) {
  EXPECT_THROW(ControlPath(torch::zeros({2, 3, 1}, torch::kFloat64), {0.0, 1.0}, Interpolation::linear), ConfigError);
  EXPECT_THROW(ControlPath(torch::zeros({2, 3, 1}, torch::kFloat64), {0.0, 1.0, 1.0}, Interpolation::linear), ConfigError);
  EXPECT_THROW(ControlPath(torch::zeros({2, 3}, torch::kFloat64), {0.0, 1.0, 2.0}, Interpolation::linear), ConfigError);
  EXPECT_THROW(interpolation_from_name("spline"), ConfigError);
  EXPECT_THROW(irregular_spirals(4, 10, 11, 0.1, 0), ConfigError);
}

TEST(NeuralCde, DrivenByTimeAloneItIsTheOdeOfItsField) {
  torch::manual_seed(3);
  NeuralCde model(NeuralCdeOptions{1, 4, 16, 1, "rk4", 3});
  model->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  const std::vector<double> knots = {0.0, 0.25, 0.5, 0.75, 1.0};
  const torch::Tensor time = torch::tensor(knots, torch::kFloat64).view({1, -1, 1}).expand({2, -1, -1}).contiguous();
  const ControlPath path(time, knots, Interpolation::linear);
  const torch::Tensor z0 = torch::randn({2, 4}, torch::kFloat64);
  const torch::Tensor cde = solve_cde(tableau("rk4"), [&](const torch::Tensor& z) { return model->field(z); }, path, z0, 3);
  const VectorField ode = [&](double, const torch::Tensor& z) { return model->field(z).select(2, 0); };
  EXPECT_LT(largest_gap(cde, integrate_fixed(tableau("rk4"), ode, z0, 0.0, 1.0, 12)), 1e-14);
}

TEST(NeuralCde, TheSolutionDoesNotDependOnHowThePathIsParametrized) {
  torch::manual_seed(4);
  NeuralCde model(NeuralCdeOptions{2, 5, 16, 3, "rk4", 4});
  model->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = random_values(3, 6, 2, 5);
  const std::vector<double> index = {0.0, 1.0, 2.0, 3.0, 4.0, 5.0};
  const torch::Tensor by_time = model->forward(ControlPath(x, kKnots, Interpolation::linear));
  const torch::Tensor by_index = model->forward(ControlPath(x, index, Interpolation::linear));
  EXPECT_LT(largest_gap(by_time, by_index), 1e-13);
}

// Inside an interval the Hermite path is a cubic, so RK4 keeps its fourth order on the CDE.
TEST(NeuralCde, RungeKuttaKeepsItsOrderOnTheHermitePath) {
  torch::manual_seed(4);
  const auto solve = [](std::int64_t steps) {
    NeuralCde model(NeuralCdeOptions{2, 5, 16, 3, "rk4", steps});
    model->to(torch::kFloat64);
    torch::NoGradGuard no_grad;
    return model->forward(ControlPath(random_values(3, 6, 2, 5), kKnots, Interpolation::hermite_cubic));
  };
  const auto seeded = [&](std::int64_t steps) { torch::manual_seed(8); return solve(steps); };
  const torch::Tensor reference = seeded(512);
  const double ratio = largest_gap(seeded(16), reference) / largest_gap(seeded(32), reference);
  EXPECT_NEAR(ratio, 16.0, 4.0);
}

TEST(NeuralCde, GradientIsTheFiniteDifferenceOfTheOutput) {
  torch::manual_seed(6);
  NeuralCde model(NeuralCdeOptions{3, 4, 8, 2, "rk4", 2});
  model->to(torch::kFloat64);
  const ode::IrregularSeries data = irregular_spirals(4, 30, 12, 0.05, 7);
  const std::vector<double> index = [] { std::vector<double> k(12); for (int i = 0; i < 12; ++i) k[i] = i; return k; }();
  const ControlPath path(data.values, index, Interpolation::hermite_cubic);
  const auto loss = [&] { return torch::nn::functional::cross_entropy(model->forward(path), data.labels); };
  loss().backward();
  for (auto& parameter : model->parameters()) {
    torch::NoGradGuard no_grad;
    const double analytic = parameter.grad().view(-1)[0].item<double>(), e = 1e-6;
    auto entry = parameter.view(-1)[0];
    entry += e;
    const double up = loss().item<double>();
    entry -= 2 * e;
    const double down = loss().item<double>();
    entry += e;
    EXPECT_NEAR(analytic, (up - down) / (2 * e), 1e-7 * std::max(1.0, std::abs(analytic)));
  }
}

TEST(IrregularSpirals, SeriesKeepTheirOwnSortedTimesOnTheirSpiral) {
  const IrregularSeries data = irregular_spirals(6, 100, 70, 0.0, 11);
  ASSERT_EQ(data.values.sizes(), (std::vector<std::int64_t>{6, 70, 3}));
  for (std::int64_t series = 0; series < 6; ++series) {
    EXPECT_EQ(data.labels[series].item<std::int64_t>(), series % 2);
    const torch::Tensor t = data.values[series].select(1, 0);
    EXPECT_TRUE((t.slice(0, 1) > t.slice(0, 0, -1)).all().item<bool>());
    // Without noise the radius is 1 / (1 + t / 2) at the series' own times.
    const torch::Tensor radius = data.values[series].slice(1, 1, 3).norm(2, 1);
    EXPECT_LT(largest_gap(radius, 1.0 / (1.0 + 2.0 * M_PI * t)), 1e-14);
  }
  EXPECT_FALSE(torch::equal(data.values[0].select(1, 0), data.values[2].select(1, 0)));  // different times per series
  EXPECT_TRUE(torch::equal(irregular_spirals(6, 100, 70, 0.1, 11).values, irregular_spirals(6, 100, 70, 0.1, 11).values));
}

}  // namespace
}  // namespace descent::ode
