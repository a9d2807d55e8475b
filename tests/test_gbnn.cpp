// The GBNN experiment's library piece: boosted stages assembled into one network.
#include <gtest/gtest.h>

#include "../experiments/gbnn/gbnn.hpp"

namespace descent::repro::gbnn {
namespace {

// The boosted stages assemble into one network whose logit is exactly 2F (to rounding).
TEST(GBNN, AssembledNetworkEqualsTheStagedModel) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({60, 3}, torch::kFloat64);
  const torch::Tensor y = torch::where(x.select(1, 0) * x.select(1, 1) > 0, torch::ones({60}, torch::kFloat64),
                                       -torch::ones({60}, torch::kFloat64));
  const Booster booster = fit(x, y, {6, 2, 1.0, 0.5, 50, 1e-4}, 1);
  torch::NoGradGuard no_grad;
  for (const std::size_t used : {1u, 4u, 6u}) {
    const Network network = assemble(booster, used);
    EXPECT_EQ(network.hidden_weight.size(0), static_cast<std::int64_t>(2 * used));
    EXPECT_LT((network.forward(x) - 2 * booster.staged(x, used)).abs().max().item<double>(), 1e-12);
  }
  EXPECT_NEAR(booster.f0, 0.5 * std::log((1 + y.mean().item<double>()) / (1 - y.mean().item<double>())), 1e-15);
}

}  // namespace
}  // namespace descent::repro::gbnn
