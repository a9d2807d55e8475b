// Models' pieces that need LibTorch: ghost batch normalization and per-sample gradient statistics.
#include <gtest/gtest.h>

#include "descent/batch/adaptive_batch.hpp"
#include "descent/batch/per_sample.hpp"
#include "descent/models/ghost_batch_norm.hpp"
#include "descent/models/models.hpp"

namespace descent::batch {
namespace {

TEST(PerSample, ClosedFormForLinearLayersEqualsTheLoop) {
  torch::manual_seed(3);
  auto mlp = models::make_model({"mlp", {7, 5}, "tanh"}, {6}, 4);
  mlp->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({12, 6}, torch::kFloat64), y = torch::randint(0, 4, {12});
  const GradientStatistics closed = per_sample_statistics(*mlp, x, y, true);
  const GradientStatistics loop = per_sample_statistics_by_loop(*mlp, x, y, true);
  EXPECT_NEAR(closed.mean_norm_squared, loop.mean_norm_squared, 1e-12 * loop.mean_norm_squared);
  for (int i = 0; i < 12; ++i) {
    EXPECT_NEAR(closed.norm_squared[i], loop.norm_squared[i], 1e-10 * loop.norm_squared[i]);
    EXPECT_NEAR(closed.dot_mean[i], loop.dot_mean[i], 1e-10 * std::abs(loop.dot_mean[i]) + 1e-14);
  }
  // And the loop itself against explicit per-sample gradients from the mean-loss backward.
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 12; ++i) {
    mlp->zero_grad();
    torch::nn::functional::cross_entropy(mlp->forward(x.slice(0, i, i + 1)), y.slice(0, i, i + 1)).backward();
    std::vector<double> row;
    for (const auto& p : mlp->parameters()) {
      const torch::Tensor g = p.grad().reshape(-1).contiguous();
      row.insert(row.end(), g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
    }
    rows.push_back(row);
  }
  EXPECT_NEAR(statistics_of(rows).mean_norm_squared, loop.mean_norm_squared, 1e-12 * loop.mean_norm_squared);
}

}  // namespace
}  // namespace descent::batch

namespace descent::models {
namespace {

TEST(GhostBatchNorm, WholeBatchGhostIsBatchNorm) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({64, 5}) * 3 + 1;
  GhostBatchNorm ghost(5, 64);
  torch::nn::BatchNorm1d reference(5);
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor a = ghost->forward(x * (step + 1)), b = reference->forward(x * (step + 1));
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-5);
  }
  EXPECT_LT((ghost->running_mean - reference->running_mean).abs().max().item<double>(), 1e-6);
  EXPECT_LT((ghost->running_var - reference->running_var).abs().max().item<double>(), 1e-5);
  ghost->eval();
  reference->eval();
  EXPECT_LT((ghost->forward(x) - reference->forward(x)).abs().max().item<double>(), 1e-5);
}

TEST(GhostBatchNorm, GhostBatchesAreNormalizedApart) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({48, 4});
  GhostBatchNorm ghost(4, 16);
  const torch::Tensor out = ghost->forward(x);
  for (int chunk = 0; chunk < 3; ++chunk) {
    torch::nn::BatchNorm1d per_chunk(4);
    const torch::Tensor expected = per_chunk->forward(x.slice(0, 16 * chunk, 16 * (chunk + 1)));
    EXPECT_LT((out.slice(0, 16 * chunk, 16 * (chunk + 1)) - expected).abs().max().item<double>(), 1e-5);
  }
  // Running statistics: three momentum updates, one per ghost batch.
  torch::Tensor mean = torch::zeros({4});
  for (int chunk = 0; chunk < 3; ++chunk) mean = 0.9 * mean + 0.1 * x.slice(0, 16 * chunk, 16 * (chunk + 1)).mean(0);
  EXPECT_LT((ghost->running_mean - mean).abs().max().item<double>(), 1e-6);
}

TEST(GhostBatchNorm, RegimeAdaptationAndSqrtRule) {
  EXPECT_EQ(batch::regime_adapted_epochs(4, 1024, 32), 128);
  EXPECT_EQ(batch::regime_adapted_epochs(4, 100, 32), 16);  // ceil(100 / 32) = 4
  EXPECT_NEAR(batch::lr_scale(batch::LrScaling::sqrt, 32, 1024), std::sqrt(32.0), 1e-12);
}

}  // namespace
}  // namespace descent::models
