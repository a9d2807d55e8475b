// PROPS against its definition: at phi = theta the loss gradient is grad mean log pi_phi(a|s) for
// both action spaces (the specs' acceptance 2; the exact KL adds nothing there), the update stops
// at the KL bound and leaves theta untouched, the tabular sampling error equals the count-weighted
// KL computed by hand, the fitted one reaches it for a tabular policy, and the fixed-target
// collection is seeded.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/rl/classic_environments.hpp"
#include "descent/rl/props.hpp"

namespace descent::rl {
namespace {

using Widths = std::vector<std::int64_t>;

void expect_gradient_is_mean_log_prob_gradient(const ActionSpace& space, const torch::Tensor& actions) {
  torch::manual_seed(7);
  PolicyNetwork theta(3, space, Widths{5}, 0);
  PolicyNetwork phi = duplicate(*theta);
  const torch::Tensor s = torch::randn({actions.size(0), 3}, torch::kFloat64);
  PropsOptions options;
  options.kl_weight = 0.3;
  const auto parameters = phi->parameters();
  const auto loss_gradient = torch::autograd::grad({props_loss(*phi, theta->distribution(s), s, actions, options)}, parameters);
  const auto log_prob_gradient = torch::autograd::grad({phi->log_prob(s, actions).mean()}, parameters);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    EXPECT_LT((loss_gradient[i] - log_prob_gradient[i]).abs().max().item<double>(), 1e-12) << i;
    EXPECT_GT(log_prob_gradient[i].abs().max().item<double>(), 1e-6) << i;  // not vacuous
  }
}

TEST(Props, GradientAtThetaIsTheMeanLogProbabilityGradient) {
  expect_gradient_is_mean_log_prob_gradient(ActionSpace{4, 0, 0.0, 0.0}, torch::tensor({0, 1, 3, 3, 2, 0}, torch::kInt64));
  torch::manual_seed(8);
  expect_gradient_is_mean_log_prob_gradient(ActionSpace{0, 2, -1.0, 1.0}, torch::randn({6, 2}, torch::kFloat64));
}

TEST(Props, UpdateLowersTheSampledActionsAndRespectsTheKlBound) {
  torch::manual_seed(9);
  const ActionSpace space{3, 0, 0.0, 0.0};
  PolicyNetwork theta(1, space, Widths{}, 0);
  PolicyNetwork phi(1, space, Widths{}, 1);
  // A bandit buffer that over-samples action 0.
  const torch::Tensor s = torch::ones({10, 1}, torch::kFloat64);
  const torch::Tensor a = torch::tensor({0, 0, 0, 0, 0, 0, 1, 1, 2, 2}, torch::kInt64);
  const torch::Tensor theta_before = theta->head_output(s.slice(0, 0, 1)).detach().clone();
  PropsOptions options;
  options.learning_rate = 0.1;
  options.minibatches = 1;
  options.target_kl = 0.01;
  Rng rng(0);
  const PropsUpdateStatistics stats = props_update(*phi, *theta, s, a, options, rng);
  const torch::Tensor p_theta = theta->probabilities(s.slice(0, 0, 1))[0], p_phi = phi->probabilities(s.slice(0, 0, 1))[0];
  EXPECT_LT(p_phi[0].item<double>(), p_theta[0].item<double>());
  EXPECT_GT(p_phi[1].item<double>(), p_theta[1].item<double>());
  EXPECT_LT(stats.epochs_run, options.epochs);  // stopped by the KL bound
  EXPECT_GT(stats.approx_kl, 0.01);
  EXPECT_TRUE(torch::equal(theta->head_output(s.slice(0, 0, 1)), theta_before));
}

TEST(SamplingError, TabularIsTheCountWeightedKlOfTheEmpiricalPolicy) {
  const std::vector<std::vector<double>> target{{0.5, 0.3, 0.2}, {0.1, 0.9, 0.0}};
  const std::vector<std::int64_t> states{0, 0, 0, 0, 1, 1};
  const std::vector<std::int64_t> actions{0, 0, 0, 1, 1, 1};
  // State 0: pi_D = (3/4, 1/4, 0), 4 of 6 samples; state 1: pi_D = (0, 1, 0), 2 of 6.
  const double kl0 = 0.75 * std::log(0.75 / 0.5) + 0.25 * std::log(0.25 / 0.3);
  const double kl1 = std::log(1.0 / 0.9);
  EXPECT_NEAR(tabular_sampling_error(states, actions, target), 4.0 / 6.0 * kl0 + 2.0 / 6.0 * kl1, 1e-15);
  // Counts exactly proportional to pi_theta: no sampling error.
  EXPECT_NEAR(tabular_sampling_error({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 1, 1, 1, 2, 2}, target), 0.0, 1e-15);
  EXPECT_THROW(tabular_sampling_error({}, {}, target), std::invalid_argument);
}

TEST(SamplingError, FittedReachesTheTabularValueForATabularPolicy) {
  torch::manual_seed(10);
  const ActionSpace space{3, 0, 0.0, 0.0};
  PolicyNetwork target(2, space, Widths{}, 0);  // linear on a one-hot state: a tabular policy
  const torch::Tensor s = torch::tensor({{1.0, 0.0}, {1.0, 0.0}, {1.0, 0.0}, {1.0, 0.0}, {0.0, 1.0}, {0.0, 1.0}, {0.0, 1.0}}, torch::kFloat64);
  const torch::Tensor a = torch::tensor({0, 0, 1, 2, 1, 1, 2}, torch::kInt64);
  std::vector<std::vector<double>> probabilities;
  for (std::int64_t state = 0; state < 2; ++state) {
    const torch::Tensor p = target->probabilities(s[state == 0 ? 0 : 4].unsqueeze(0))[0];
    probabilities.push_back({p[0].item<double>(), p[1].item<double>(), p[2].item<double>()});
  }
  const double tabular = tabular_sampling_error({0, 0, 0, 0, 1, 1, 1}, {0, 0, 1, 2, 1, 1, 2}, probabilities);
  Rng rng(0);
  // The MLE of pi(a | s) = N(s, a) / N(s) needs the logits of unseen actions to run off to minus
  // infinity; every action appears here, so the optimum is finite and Adam reaches it.
  const double fitted = fitted_sampling_error(*target, s, a, FitOptions{3000, 1, 0.05}, rng);
  EXPECT_NEAR(fitted, tabular, 1e-4);  // what is left is Adam's optimization error
  EXPECT_GT(tabular, 0.05);
}

TEST(SamplingError, FixedTargetCollectionIsSeeded) {
  torch::manual_seed(11);
  GridWorld grid({});
  PolicyNetwork target(grid.observation_size(), grid.action_space(), Widths{}, 0);
  PropsOptions props;
  props.update_every = 16;
  props.minibatches = 2;
  const FixedTargetBuffer a = collect_for_fixed_target(grid, *target, 100, props, 3);
  const FixedTargetBuffer b = collect_for_fixed_target(grid, *target, 100, props, 3);
  const FixedTargetBuffer c = collect_for_fixed_target(grid, *target, 100, props, 4);
  EXPECT_TRUE(torch::equal(a.actions, b.actions));
  EXPECT_FALSE(torch::equal(a.actions, c.actions));
  EXPECT_EQ(a.behaviour_updates_kl.size(), 6u);
  EXPECT_EQ(a.observations.size(0), 100);
}

}  // namespace
}  // namespace descent::rl
