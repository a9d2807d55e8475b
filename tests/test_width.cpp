// Width and kernels on LibTorch models: the parameterizations as built (mup at m = 1 computes what
// standard does; its per-layer rates reach the optimizer as groups), and the empirical NTK against
// finite differences of the network in double precision.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "descent/core/error.hpp"
#include "descent/diag/coordinate_check.hpp"
#include "descent/kernels/empirical_ntk.hpp"
#include "descent/kernels/neural_tangent_kernel.hpp"
#include "descent/models/models.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "descent/models/learning_rate_groups.hpp"

namespace descent {
namespace {

using models::Mlp;
using models::Parameterization;
using models::ParameterizationOptions;

std::shared_ptr<Mlp> mlp(const ParameterizationOptions& scaling, std::int64_t width = 32, std::uint64_t seed = 3) {
  torch::manual_seed(seed);
  return std::make_shared<Mlp>(5, std::vector<std::int64_t>{width, width}, 3, "relu", false, 0, scaling);
}

TEST(Parameterization, MupAtItsBaseWidthIsStandard) {
  const auto standard = mlp({}), mup = mlp({Parameterization::mup, 32, 0.1});
  const torch::Tensor x = torch::randn({4, 5});
  EXPECT_TRUE(torch::equal(standard->forward(x), mup->forward(x)));
  for (const auto& [name, rates] : mup->learning_rate_multipliers) {
    EXPECT_EQ(rates.linear, 1.0) << name;
    EXPECT_EQ(rates.invariant, 1.0) << name;
  }
}

// At m = 4 the readout's output is its standard output over m with its weights drawn sqrt(m)
// wider: the logits are W_std x / sqrt(m) + sqrt(m) b_std on the same draws.
TEST(Parameterization, MupReadoutDividesByTheWidthMultiplier) {
  const auto standard = mlp({}, 128), mup = mlp({Parameterization::mup, 32, 0.1}, 128);
  const torch::Tensor hidden = torch::randn({4, 128});
  const auto& s = standard->layers.back();
  const torch::Tensor expected = torch::matmul(hidden, s->weight.t()) / 2.0 + 2.0 * s->bias;
  const auto& readout = mup->layers.back();
  const torch::Tensor logits = torch::addmm(readout->bias, hidden, readout->weight.t(), 1.0, mup->scalings.back().weight_multiplier);
  EXPECT_TRUE(torch::allclose(logits, expected, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(mup->layers[1]->bias, 2.0 * standard->layers[1]->bias));  // hidden bias sqrt(m) wider
  EXPECT_TRUE(torch::equal(mup->layers[1]->weight, standard->layers[1]->weight));
}

TEST(Parameterization, NtkDrawsUnitGaussiansAndScalesByFanIn) {
  const auto net = mlp({Parameterization::ntk, 0, 0.1}, 2048);
  const torch::Tensor w = net->layers[1]->weight;
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(w.std().item<double>(), 1.0, 0.01);
  // Pre-activations of the second layer: W a / sqrt(2048) + 0.1 b.
  const torch::Tensor a = torch::randn({3, 2048});
  const torch::Tensor expected = torch::matmul(a, w.t()) / std::sqrt(2048.0) + 0.1 * net->layers[1]->bias;
  EXPECT_TRUE(torch::allclose(torch::addmm(net->layers[1]->bias, a, w.t(), 0.1, 1.0 / std::sqrt(2048.0)), expected, 1e-4, 1e-5));
}

// MuSGD gives the input layer, hidden biases and the readout weight lr * m, MuAdam the hidden
// weights lr / m; the group at the optimizer's own rate comes first, names kept.
TEST(Parameterization, LearningRateGroupsCarryMupsRates) {
  const auto net = mlp({Parameterization::mup, 8, 0.1}, 32);  // m = 4
  const auto sgd = models::learning_rate_groups(*net, "sgd", {{"lr", 0.1}});
  ASSERT_EQ(sgd.size(), 2u);
  EXPECT_TRUE(sgd[0].overrides.empty());
  EXPECT_EQ(sgd[0].names, (std::vector<std::string>{"fc2.weight", "fc3.bias"}));
  EXPECT_DOUBLE_EQ(sgd[1].overrides.at("lr"), 0.4);
  EXPECT_EQ(sgd[1].names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.bias", "fc3.weight"}));
  const auto adam = models::learning_rate_groups(*net, "adam", {{"lr", 1e-3}});
  ASSERT_EQ(adam.size(), 2u);
  EXPECT_EQ(adam[1].names, (std::vector<std::string>{"fc2.weight"}));
  EXPECT_DOUBLE_EQ(adam[1].overrides.at("lr"), 2.5e-4);
  EXPECT_EQ(models::learning_rate_groups(*mlp({}), "adam", {}).size(), 1u);
  EXPECT_THROW(models::learning_rate_groups(*net, "normalized_gd", {}), ConfigError);
}

// Theta(x, z) = sum_p df(x)/dp df(z)/dp with each derivative by central differences in double.
TEST(EmpiricalNtk, MatchesFiniteDifferenceJacobians) {
  torch::manual_seed(5);
  auto net = std::make_shared<Mlp>(3, std::vector<std::int64_t>{6}, 2, "tanh", false, 0, ParameterizationOptions{Parameterization::ntk, 0, 0.1});
  net->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({3, 3}, torch::kFloat64), z = torch::randn({2, 3}, torch::kFloat64);
  const auto finite_difference_rows = [&](const torch::Tensor& points) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> columns;
    for (auto& p : net->parameters()) {
      auto flat = p.view({-1});
      for (std::int64_t k = 0; k < flat.numel(); ++k) {
        const double saved = flat[k].item<double>(), h = 1e-6;
        flat[k] = saved + h;
        const torch::Tensor up = net->forward(points).select(1, 1);
        flat[k] = saved - h;
        const torch::Tensor down = net->forward(points).select(1, 1);
        flat[k] = saved;
        columns.push_back((up - down) / (2 * h));
      }
    }
    return torch::stack(columns, 1);
  };
  const torch::Tensor expected = torch::matmul(finite_difference_rows(x), finite_difference_rows(z).t());
  const kernels::EmpiricalNtkOptions output1{1, 1 << 20};
  EXPECT_TRUE(torch::allclose(kernels::empirical_ntk(*net, x, z, output1), expected, 1e-7, 1e-8));
  // Chunks of one row (a budget below two rows) give the same kernel; the Gram is symmetric.
  const kernels::EmpiricalNtkOptions tiny{1, 8};
  EXPECT_TRUE(torch::allclose(kernels::empirical_ntk(*net, x, z, tiny), expected, 1e-7, 1e-8));
  const torch::Tensor gram = kernels::empirical_ntk(*net, x, tiny);
  EXPECT_TRUE(torch::equal(gram, gram.t()));
  EXPECT_TRUE(torch::allclose(gram, kernels::empirical_ntk(*net, x, x, output1), 1e-12, 1e-12));
  EXPECT_THROW(kernels::empirical_ntk(*net, x, z, kernels::EmpiricalNtkOptions{2, 1 << 20}), ConfigError);
  EXPECT_THROW(kernels::empirical_ntk(*net, x, torch::randn({2, 4}, torch::kFloat64)), ConfigError);
}

// A wide ReLU network in the NTK parameterization is near its limit at initialization: the mean
// of the empirical Theta(x0, x) over 4 draws at width 1024 within 5% of the analytic depth-3
// kernel's scale Theta(x0, x0) (its fluctuations are O(1/sqrt(width)) of that scale).
TEST(EmpiricalNtk, WideReluNetworkApproachesTheAnalyticLimit) {
  const torch::Tensor x0 = torch::tensor({{1.0f, 0.0f}});
  const torch::Tensor x = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {-1.0f, 0.0f}});
  torch::Tensor mean = torch::zeros({1, 3}, torch::kFloat64);
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    torch::manual_seed(seed);
    Mlp net(2, {1024, 1024}, 1, "relu", false, 0, {Parameterization::ntk, 0, 0.1});
    mean += kernels::empirical_ntk(net, x0, x) / 4.0;
  }
  const double angles[] = {0.0, M_PI / 2, M_PI};
  const std::vector<double> a = {1.0, 0.0};
  const double scale = kernels::relu_kernels(a, a, 3, 0.1).ntk;
  for (int k = 0; k < 3; ++k) {
    const std::vector<double> b = {std::cos(angles[k]), std::sin(angles[k])};
    EXPECT_NEAR(mean[0][k].item<double>(), kernels::relu_kernels(a, b, 3, 0.1).ntk, 0.05 * scale) << angles[k];
  }
}

// The coordinate check's first-step change of each layer, recomputed by hand for one width and
// seed: the same seeded build, one SGD step at mup's per-layer rates (through the optimizer's
// groups), mean |h_1 - h_0| of hidden1, hidden2 and the logits.
TEST(CoordinateCheck, RecordsTheChangeOfEachTracedLayer) {
  const ParameterizationOptions scaling{Parameterization::mup, 16, 0.1};
  const auto build = [&](std::int64_t width) -> std::shared_ptr<models::Model> {
    return std::make_shared<Mlp>(6, std::vector<std::int64_t>{width, width}, 3, "relu", false, 0, scaling);
  };
  torch::manual_seed(11);
  const torch::Tensor x = torch::randn({8, 6}), y = torch::randint(0, 3, {8});
  const diag::CoordinateCheck check = diag::coordinate_check(build, x, y, {{32}, "sgd", {{"lr", 0.5}}, 2, 1});
  EXPECT_EQ(check.layers, (std::vector<std::string>{"hidden1", "hidden2", "output"}));
  torch::manual_seed(32);  // seed 0 * 1000003 + width
  const auto model = build(32);
  const models::LayerTrace before = model->trace(x);
  optim::Optimizer sgd("sgd", {{"lr", 0.5}}, models::learning_rate_groups(*model, "sgd", {{"lr", 0.5}}));
  sgd.zero_grad();
  torch::nn::functional::cross_entropy(model->forward(x), y).backward();
  sgd.step();
  const models::LayerTrace after = model->trace(x);
  for (std::size_t l = 0; l < 2; ++l) {
    EXPECT_DOUBLE_EQ(check.change[0][l][0], (after.activations[l] - before.activations[l]).abs().mean().item<double>()) << l;
  }
  EXPECT_DOUBLE_EQ(check.change[0][2][0], (after.output - before.output).abs().mean().item<double>());
  EXPECT_DOUBLE_EQ(check.size[0][0], before.activations[0].abs().mean().item<double>());
  EXPECT_THROW(diag::coordinate_check(build, x, y, {{}, "sgd", {}, 1, 1}), ConfigError);
}

}  // namespace
}  // namespace descent
