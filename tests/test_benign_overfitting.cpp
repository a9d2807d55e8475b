// Xu et al.'s XOR cluster data and their two-layer ReLU network with a fixed outer layer: the data's
// law (cluster means, clean test labels, the flip rate), the network's output and its logistic
// gradient against autograd and central differences, and the floating-point fixed point that a
// saturated logistic loss reaches.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/data/tensors.hpp"
#include "descent/models/two_layer_relu.hpp"

namespace descent {
namespace {

TEST(XorClusters, ClustersSitOnTwoOrthogonalAxesWithXorLabels) {
  const data::XorClusterOptions options{4000, 4000, 50, 15.0, 0.1};
  const data::Splits splits = data::xor_clusters(options, 7);
  ASSERT_EQ(splits.train.size(), 4000);
  ASSERT_EQ(splits.test.size(), 4000);
  // Every sample lies within its cluster's noise of exactly one of +-15 e_0, +-15 e_1: the
  // coordinate of largest magnitude names the axis (noise beyond 7 standard deviations aside).
  std::int64_t flipped = 0;
  for (const data::Dataset* part : {&splits.train, &splits.test}) {
    for (std::int64_t i = 0; i < part->size(); ++i) {
      const float* row = part->features.data() + i * options.features;
      const std::int64_t axis = std::abs(row[0]) > std::abs(row[1]) ? 0 : 1;
      EXPECT_GT(std::abs(row[axis]), 7.5f);
      const std::int64_t clean = axis == 0 ? 1 : 0;
      if (part == &splits.test) {
        EXPECT_EQ(part->labels[i], clean) << "test labels are clean";
      } else {
        flipped += part->labels[i] != clean;
      }
    }
  }
  // Binomial(4000, 0.1): mean 400, standard deviation 19.
  EXPECT_NEAR(static_cast<double>(flipped), 400.0, 4 * 19.0);
  // The noise coordinates are standard normal: mean 0, variance 1.
  double sum = 0.0, squares = 0.0;
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < splits.train.size(); ++i) {
    for (std::int64_t j = 2; j < options.features; ++j) {
      const double v = splits.train.features[static_cast<std::size_t>(i * options.features + j)];
      sum += v;
      squares += v * v;
      ++count;
    }
  }
  EXPECT_NEAR(sum / count, 0.0, 5.0 / std::sqrt(static_cast<double>(count)));
  EXPECT_NEAR(squares / count, 1.0, 0.01);
  // The same seed gives the same data.
  EXPECT_EQ(data::xor_clusters(options, 7).train.features, splits.train.features);
}

TEST(TwoLayerRelu, OutputIsTheFixedSignedSumOfReluUnits) {
  const models::TwoLayerRelu net(3, 4, 1.0, 5);
  const torch::Tensor x = torch::randn({6, 3}, torch::kFloat64);
  const torch::Tensor w = net.weights();
  for (std::int64_t i = 0; i < 6; ++i) {
    double expected = 0.0;
    for (std::int64_t j = 0; j < 4; ++j) {
      expected += (j < 2 ? 0.5 : -0.5) * std::max(0.0, x[i].dot(w[j]).item<double>());
    }
    EXPECT_NEAR(net.outputs(x)[i].item<double>(), expected, 1e-14);
  }
  EXPECT_THROW(models::TwoLayerRelu(3, 5, 1.0, 0), ConfigError);
  EXPECT_THROW(models::TwoLayerRelu(3, 4, -1.0, 0), ConfigError);
}

TEST(TwoLayerRelu, LogisticGradientMatchesAutogradAndCentralDifferences) {
  const models::TwoLayerRelu net(7, 6, 1.0, 11);
  torch::Generator generator = at::detail::createCPUGenerator(3);
  const torch::Tensor x = torch::randn({9, 7}, generator, torch::kFloat64);
  const torch::Tensor y = models::signed_labels(torch::randint(0, 2, {9}, generator, torch::kInt64));
  const torch::Tensor gradient = net.logistic_gradient(x, y);

  torch::Tensor w = net.weights().clone().requires_grad_(true);
  const torch::Tensor f = torch::relu(torch::mm(x, w.t())).mv(net.outer());
  torch::log1p(torch::exp(-y * f)).mean().backward();
  EXPECT_LT((gradient - w.grad()).abs().max().item<double>(), 1e-14);

  // Central differences on one weight per neuron (no ReLU kink within h of these draws).
  const double h = 1e-6;
  for (std::int64_t j = 0; j < 6; ++j) {
    torch::Tensor up = net.weights().clone(), down = net.weights().clone();
    up[j][j].add_(h);
    down[j][j].sub_(h);
    const models::TwoLayerRelu plus(up), minus(down);
    const double difference = (plus.logistic_loss(x, y) - minus.logistic_loss(x, y)) / (2 * h);
    EXPECT_NEAR(gradient[j][j].item<double>(), difference, 1e-8);
  }
}

TEST(TwoLayerRelu, GradientStepDescendsAndStopsAtAFloatingPointFixedPoint) {
  models::TwoLayerRelu net(20, 10, 1e-3, 2);
  torch::Generator generator = at::detail::createCPUGenerator(4);
  const torch::Tensor x = torch::randn({8, 20}, generator, torch::kFloat64) * 5.0;
  const torch::Tensor y = models::signed_labels(torch::randint(0, 2, {8}, generator, torch::kInt64));
  const double before = net.logistic_loss(x, y);
  EXPECT_TRUE(net.gradient_step(x, y, 0.01));
  EXPECT_LT(net.logistic_loss(x, y), before);
  // Huge steps fit the 8 points with margins in the thousands; the loss's gradient then underflows
  // to 0 and the weights stop changing.
  bool moved = true;
  for (int t = 0; t < 200 && moved; ++t) moved = net.gradient_step(x, y, 1e4);
  EXPECT_FALSE(moved);
  EXPECT_EQ(net.accuracy(x, y), 1.0);
  EXPECT_EQ(net.logistic_loss(x, y), 0.0);
}

}  // namespace
}  // namespace descent
