// The transforms any chain can use, composed into chains written in the test, as a user would.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/optim/algorithms/adam.hpp"
#include "descent/optim/algorithms/sign_sgd.hpp"
#include "descent/optim/fused.hpp"
#include "descent/optim/transforms.hpp"

namespace descent::optim {
namespace {

// Steps a chain once over one buffer with no state and returns the new parameters.
template <class Chain>
std::vector<double> step_once(Chain chain, std::vector<double> p, const std::vector<double>& g, double lr,
                              std::int64_t step = 1) {
  static_assert(Chain::slots == 0);
  const ParamBuffer<double> buffer{p.data(), g.data(), p.size(), nullptr};
  fused_step(chain, std::span<const ParamBuffer<double>>(&buffer, 1), {step, lr, std::nullopt});
  return p;
}

TEST(Transforms, ClipByGlobalNormScalesTheWholeGradient) {
  // ||g|| = 5 > 1: g is scaled by 1 / (5 + 1e-6); p = p - lr * g_clipped.
  using Clipped = Chain<double, ClipByGlobalNorm<double>, ScaleByLearningRate<double>>;
  const auto p = step_once(Clipped({1.0}, {}), {0, 0}, {3, 4}, 1.0);
  EXPECT_NEAR(p[0], -3 / (5 + 1e-6), 1e-15);
  EXPECT_NEAR(p[1], -4 / (5 + 1e-6), 1e-15);
  // Below the threshold nothing changes.
  const auto q = step_once(Clipped({10.0}, {}), {0, 0}, {3, 4}, 1.0);
  EXPECT_DOUBLE_EQ(q[0], -3);
}

TEST(Transforms, ClipByValueClampsEachElement) {
  using Clipped = Chain<double, ClipByValue<double>, ScaleByLearningRate<double>>;
  const auto p = step_once(Clipped({0.5}, {}), {0, 0, 0}, {2, -3, 0.25}, 1.0);
  EXPECT_EQ(p, (std::vector<double>{-0.5, 0.5, -0.25}));
}

TEST(Transforms, ThreeKindsOfWeightDecay) {
  const std::vector<double> p0 = {2.0}, zero = {0.0};
  // Coupled or decoupled before the rate: p - lr * wd * p.
  using Decoupled = Chain<double, AddDecoupledDecay<double>, ScaleByLearningRate<double>>;
  EXPECT_DOUBLE_EQ(step_once(Decoupled({0.1}, {}), p0, zero, 0.5)[0], 2.0 - 0.5 * 0.1 * 2.0);
  // Independent of the rate: p - wd * p, whatever lr is.
  using Independent = Chain<double, ScaleByLearningRate<double>, SubtractIndependentDecay<double>>;
  EXPECT_DOUBLE_EQ(step_once(Independent({}, {0.1}), p0, zero, 0.5)[0], 2.0 - 0.1 * 2.0);
  EXPECT_DOUBLE_EQ(step_once(Independent({}, {0.1}), p0, zero, 1e-6)[0], 2.0 - 0.1 * 2.0);
  // Coupled decay goes through the preconditioner: with sign, a zero gradient still moves by lr.
  EXPECT_DOUBLE_EQ(step_once(SignSgd<double>({0.1}, {}, {}), p0, zero, 0.5)[0], 2.0 - 0.5);
}

TEST(Transforms, ScaleByConstantAndBySchedule) {
  using Scaled = Chain<double, ScaleByConstant<double>, ScaleByLearningRate<double>>;
  EXPECT_DOUBLE_EQ(step_once(Scaled({3.0}, {}), {0.0}, {1.0}, 0.5)[0], -1.5);
  schedule::Schedule linear{"linear", {{"warmup_steps", 0}, {"final", 0.0}}, 11};
  using Scheduled = Chain<double, ScaleBySchedule<double>, ScaleByLearningRate<double>>;
  EXPECT_DOUBLE_EQ(step_once(Scheduled({linear}, {}), {0.0}, {1.0}, 1.0, /*step=*/6)[0], -0.5);  // step 6: t = 5 of 0..10
}

// A chain a user writes: clip, then Adam, then decoupled decay, then the rate (AdamW with
// clipping), matched against the same arithmetic done by hand.
TEST(Transforms, UserChainsComposeWithState) {
  using ClippedAdamW = Chain<double, ClipByGlobalNorm<double>, ScaleByAdam<double>, AddDecoupledDecay<double>,
                             ScaleByLearningRate<double>>;
  static_assert(ClippedAdamW::slots == 2);
  ClippedAdamW chain({1.0}, {0.9, 0.999, 1e-8}, {0.01}, {});
  std::vector<double> p = {1.0, -1.0}, g = {3.0, 4.0}, m(2, 0.0), v(2, 0.0);
  double* slots[] = {m.data(), v.data()};
  const ParamBuffer<double> buffer{p.data(), g.data(), 2, slots};
  fused_step(chain, std::span<const ParamBuffer<double>>(&buffer, 1), {1, 0.1, std::nullopt});
  for (int i = 0; i < 2; ++i) {
    const double clipped = g[i] / (5 + 1e-6);
    const double mi = 0.1 * clipped, vi = 0.001 * clipped * clipped;
    EXPECT_DOUBLE_EQ(m[i], mi);
    const double expected = (i == 0 ? 1.0 : -1.0) - 0.1 * ((mi / 0.1) / (std::sqrt(vi) / std::sqrt(0.001) + 1e-8) + 0.01 * (i == 0 ? 1.0 : -1.0));
    EXPECT_NEAR(p[i], expected, 1e-15);
  }
}

}  // namespace
}  // namespace descent::optim
