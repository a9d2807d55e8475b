// PPO's pieces against hand computations: the policy's log-probabilities, entropies and closed-form
// KL (against quadrature), the sampler's frequencies, GAE by a scalar loop with terminations and a
// truncation, one clipped update's step against autograd on the written-out loss, and the training
// loop's determinism across runs and thread counts, and that it learns a bandit.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/rl/classic_environments.hpp"
#include "descent/rl/training.hpp"

namespace descent::rl {
namespace {

using Widths = std::vector<std::int64_t>;

TEST(PolicyNetwork, OrthogonalInitializationIsOrthogonalAndSeeded) {
  for (const auto& [rows, columns] : {std::pair<std::int64_t, std::int64_t>{64, 4}, {4, 64}, {8, 8}}) {
    Rng rng(3), again(3);
    const torch::Tensor w = orthogonal_matrix(rows, columns, 1.5, rng);
    ASSERT_EQ(w.size(0), rows);
    ASSERT_EQ(w.size(1), columns);
    // The shorter side's Gram matrix is gain^2 I.
    const torch::Tensor gram = rows >= columns ? w.t().mm(w) : w.mm(w.t());
    EXPECT_LT((gram - 2.25 * torch::eye(std::min(rows, columns), torch::kFloat64)).abs().max().item<double>(), 1e-13);
    EXPECT_TRUE(torch::equal(w, orthogonal_matrix(rows, columns, 1.5, again)));
  }
  PolicyNetwork a(4, ActionSpace{2, 0, 0.0, 0.0}, Widths{16}, 5), b(4, ActionSpace{2, 0, 0.0, 0.0}, Widths{16}, 5);
  torch::manual_seed(99);  // torch's own generator plays no part
  PolicyNetwork c(4, ActionSpace{2, 0, 0.0, 0.0}, Widths{16}, 5), d(4, ActionSpace{2, 0, 0.0, 0.0}, Widths{16}, 6);
  const torch::Tensor s = torch::randn({3, 4}, torch::kFloat64);
  EXPECT_TRUE(torch::equal(a->head_output(s), b->head_output(s)));
  EXPECT_TRUE(torch::equal(a->head_output(s), c->head_output(s)));
  EXPECT_FALSE(torch::equal(a->head_output(s), d->head_output(s)));
}

TEST(PolicyNetwork, CategoricalLogProbabilitiesAndEntropy) {
  torch::manual_seed(0);
  PolicyNetwork policy(3, ActionSpace{4, 0, 0.0, 0.0}, Widths{8}, 0);
  const torch::Tensor s = torch::randn({5, 3}, torch::kFloat64);
  const torch::Tensor a = torch::tensor({0, 3, 1, 2, 3}, torch::kInt64);
  const torch::Tensor logits = policy->head_output(s);
  const torch::Tensor log_p = policy->log_prob(s, a);
  const torch::Tensor entropy = policy->entropy(s);
  for (std::int64_t i = 0; i < 5; ++i) {
    double normalizer = 0.0, h = 0.0;
    for (std::int64_t k = 0; k < 4; ++k) normalizer += std::exp(logits[i][k].item<double>());
    for (std::int64_t k = 0; k < 4; ++k) {
      const double p = std::exp(logits[i][k].item<double>()) / normalizer;
      h -= p * std::log(p);
    }
    EXPECT_NEAR(log_p[i].item<double>(), logits[i][a[i].item<std::int64_t>()].item<double>() - std::log(normalizer), 1e-14);
    EXPECT_NEAR(entropy[i].item<double>(), h, 1e-14);
  }
}

// KL(N(m1, s1^2) || N(m2, s2^2)) by the trapezoid rule on +-12 s1 (the integrand is smooth and decays).
double gaussian_kl_by_quadrature(double m1, double s1, double m2, double s2) {
  const int n = 200000;
  const double lo = m1 - 12 * s1, hi = m1 + 12 * s1, h = (hi - lo) / n;
  double sum = 0.0;
  for (int i = 0; i <= n; ++i) {
    const double x = lo + i * h;
    const double log_p = -0.5 * std::pow((x - m1) / s1, 2) - std::log(s1 * std::sqrt(2 * M_PI));
    const double log_q = -0.5 * std::pow((x - m2) / s2, 2) - std::log(s2 * std::sqrt(2 * M_PI));
    sum += (i == 0 || i == n ? 0.5 : 1.0) * std::exp(log_p) * (log_p - log_q);
  }
  return sum * h;
}

TEST(PolicyNetwork, GaussianKlMatchesQuadratureAndLogProbTheDensity) {
  torch::manual_seed(1);
  const ActionSpace space{0, 2, -1.0, 1.0};
  PolicyNetwork phi(3, space, Widths{8}, 1, -0.3), theta(3, space, Widths{8}, 2, 0.2);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : phi->parameters()) p.add_(0.3 * torch::randn_like(p));
    phi->log_std().copy_(torch::tensor({-0.3, 0.4}, torch::kFloat64));
  }
  const torch::Tensor s = torch::randn({4, 3}, torch::kFloat64);
  const torch::Tensor kl = phi->kl_divergence(*theta, s);
  const torch::Tensor m1 = phi->head_output(s), m2 = theta->head_output(s);
  const torch::Tensor s1 = phi->log_std().exp(), s2 = theta->log_std().exp();
  for (std::int64_t i = 0; i < 4; ++i) {
    double expected = 0.0;
    for (std::int64_t j = 0; j < 2; ++j) {
      expected += gaussian_kl_by_quadrature(m1[i][j].item<double>(), s1[j].item<double>(), m2[i][j].item<double>(), s2[j].item<double>());
    }
    EXPECT_NEAR(kl[i].item<double>(), expected, 1e-6);
  }
  const torch::Tensor a = torch::randn({4, 2}, torch::kFloat64);
  const torch::Tensor log_p = phi->log_prob(s, a);
  for (std::int64_t i = 0; i < 4; ++i) {
    double expected = 0.0;
    for (std::int64_t j = 0; j < 2; ++j) {
      const double z = (a[i][j].item<double>() - m1[i][j].item<double>()) / s1[j].item<double>();
      expected += -0.5 * z * z - std::log(s1[j].item<double>() * std::sqrt(2 * M_PI));
    }
    EXPECT_NEAR(log_p[i].item<double>(), expected, 1e-13);
  }
  EXPECT_NEAR(phi->kl_divergence(*phi, s).abs().max().item<double>(), 0.0, 1e-15);
}

TEST(PolicyNetwork, SampledActionFrequenciesFollowTheProbabilities) {
  torch::manual_seed(2);
  PolicyNetwork policy(2, ActionSpace{3, 0, 0.0, 0.0}, Widths{}, 0);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : policy->parameters()) p.copy_(torch::randn_like(p));
  }
  const torch::Tensor s = torch::tensor({{0.5, -1.0}}, torch::kFloat64).expand({40000, 2}).contiguous();
  Rng rng(3);
  const auto actions = policy->sample(s, rng);
  const torch::Tensor p = policy->probabilities(s)[0];
  for (std::int64_t k = 0; k < 3; ++k) {
    double count = 0;
    for (const auto& a : actions) count += a[0] == static_cast<double>(k);
    const double pk = p[k].item<double>();
    EXPECT_NEAR(count / 40000.0, pk, 4.0 * std::sqrt(pk * (1 - pk) / 40000.0));
  }
}

TEST(PolicyNetwork, MeanActionIsTheArgmaxOrTheGaussianMean) {
  PolicyNetwork discrete(2, ActionSpace{3, 0, 0.0, 0.0}, Widths{}, 0), gaussian(2, ActionSpace{0, 2, -1.0, 1.0}, Widths{}, 0);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : discrete->parameters()) p.copy_(torch::arange(p.numel(), torch::kFloat64).reshape(p.sizes()) - 2.0);
  }
  const torch::Tensor s = torch::tensor({{1.0, 0.0}, {-1.0, -2.0}}, torch::kFloat64);
  const torch::Tensor logits = discrete->head_output(s);
  const auto a = discrete->mean_action(s);
  for (std::int64_t r = 0; r < 2; ++r) EXPECT_EQ(a[static_cast<std::size_t>(r)][0], static_cast<double>(logits[r].argmax().item<std::int64_t>()));
  const auto m = gaussian->mean_action(s);
  const torch::Tensor means = gaussian->head_output(s);
  EXPECT_EQ(m[1][1], means[1][1].item<double>());
}

TEST(Ppo, GeneralizedAdvantagesByAScalarLoop) {
  torch::manual_seed(4);
  ValueNetwork critic(2, Widths{4}, 1);
  Rollout r;
  const std::int64_t T = 5, N = 2;
  r.observations = torch::randn({T, N, 2}, torch::kFloat64);
  r.actions = torch::zeros({T, N}, torch::kInt64);
  r.rewards = torch::randn({T, N}, torch::kFloat64);
  r.terminated = torch::zeros({T, N}, torch::kFloat64);
  r.truncated = torch::zeros({T, N}, torch::kFloat64);
  r.terminated[1][0] = 1.0;
  r.truncated[3][1] = 1.0;
  r.final_values = torch::zeros({T, N}, torch::kFloat64);
  r.final_values[3][1] = 0.7;
  r.next_observations = torch::randn({N, 2}, torch::kFloat64);
  const double gamma = 0.9, lambda = 0.8;
  const Advantages out = generalized_advantages(r, *critic, gamma, lambda);
  torch::NoGradGuard no_grad;
  for (std::int64_t i = 0; i < N; ++i) {
    double next_advantage = 0.0;
    for (std::int64_t t = T - 1; t >= 0; --t) {
      const double v = critic->forward(r.observations[t][i].unsqueeze(0))[0].item<double>();
      const double next_v = critic->forward((t + 1 < T ? r.observations[t + 1][i] : r.next_observations[i]).unsqueeze(0))[0].item<double>();
      const bool done = r.terminated[t][i].item<double>() > 0 || r.truncated[t][i].item<double>() > 0;
      const double reward = r.rewards[t][i].item<double>() + (r.truncated[t][i].item<double>() > 0 ? gamma * 0.7 : 0.0);
      const double delta = reward + (done ? 0.0 : gamma * next_v) - v;
      next_advantage = delta + (done ? 0.0 : gamma * lambda * next_advantage);
      EXPECT_NEAR(out.advantages[t][i].item<double>(), next_advantage, 1e-12);
      EXPECT_NEAR(out.returns[t][i].item<double>(), next_advantage + v, 1e-12);
    }
  }
}

TEST(Ppo, OneUpdateStepIsSgdOnTheClippedLoss) {
  torch::manual_seed(5);
  PolicyNetwork policy(3, ActionSpace{3, 0, 0.0, 0.0}, Widths{6}, 0);
  ValueNetwork critic(3, Widths{6}, 1);
  const std::int64_t n = 16;
  const torch::Tensor s = torch::randn({n, 3}, torch::kFloat64);
  const torch::Tensor a = torch::randint(0, 3, {n}, torch::kInt64);
  // Old log-probabilities away from the current ones, so some ratios fall outside 1 +- 0.2.
  const torch::Tensor old_log_p = (policy->log_prob(s, a) + 0.4 * torch::randn({n}, torch::kFloat64)).detach();
  const torch::Tensor advantages = torch::randn({n}, torch::kFloat64), returns = torch::randn({n}, torch::kFloat64);
  const torch::Tensor old_values = critic->forward(s).detach() + 0.3 * torch::randn({n}, torch::kFloat64);
  PpoOptions o;
  o.epochs = 1;
  o.minibatches = 1;
  o.target_kl.reset();
  o.optimizer = "sgd";
  o.optimizer_values = {{"lr", 0.1}};

  // The loss written out, its gradient by autograd.
  const torch::Tensor ratio = (policy->log_prob(s, a) - old_log_p).exp();
  const torch::Tensor adv = (advantages - advantages.mean()) / (advantages.std() + 1e-8);
  const torch::Tensor policy_loss = torch::max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2)).mean();
  const torch::Tensor v = critic->forward(s);
  const torch::Tensor v_loss =
      0.5 * torch::max((v - returns).pow(2), (old_values + (v - old_values).clamp(-0.2, 0.2) - returns).pow(2)).mean();
  const torch::Tensor loss = policy_loss - 0.01 * policy->entropy(s).mean() + 0.5 * v_loss;
  std::vector<torch::Tensor> parameters = policy->parameters();
  for (const auto& p : critic->parameters()) parameters.push_back(p);
  const std::vector<torch::Tensor> gradients = torch::autograd::grad({loss}, parameters);
  double norm2 = 0.0;
  for (const auto& g : gradients) norm2 += g.pow(2).sum().item<double>();
  const double scale = std::min(1.0, 0.5 / (std::sqrt(norm2) + 1e-6));  // clip_norm 0.5
  std::vector<torch::Tensor> expected;
  for (std::size_t i = 0; i < parameters.size(); ++i) expected.push_back((parameters[i] - 0.1 * scale * gradients[i]).detach());

  auto optimizer = make_optimizer(*policy, *critic, o.optimizer, o.optimizer_values, o.max_grad_norm);
  Rng rng(0);
  ppo_update(*policy, *critic, *optimizer, s, a, old_log_p, advantages, returns, old_values, o, rng);
  for (std::size_t i = 0; i < parameters.size(); ++i) EXPECT_LT((parameters[i] - expected[i]).abs().max().item<double>(), 1e-12) << i;
}

TEST(Ppo, TrainingIsDeterministicAcrossRunsAndEnvironmentThreads) {
  const CartPole cart_pole({500});
  TrainingOptions options;
  options.total_steps = 1024;
  options.copies = 4;
  options.steps_per_copy = 64;
  options.evaluation_points = 2;
  options.evaluation_episodes = 2;
  options.props = PropsOptions{};
  options.props->update_every = 64;
  options.props->epochs = 4;
  options.buffer_batches = 2;
  PpoOptions ppo;
  ppo.minibatches = 4;
  ppo.epochs = 2;
  const TrainingResult a = train_ppo(cart_pole, options, ppo);
  options.threads = 2;
  const TrainingResult b = train_ppo(cart_pole, options, ppo);
  ASSERT_EQ(a.evaluation_returns.size(), 2u);
  EXPECT_EQ(a.evaluation_returns, b.evaluation_returns);
  ASSERT_EQ(a.updates.size(), b.updates.size());
  for (std::size_t i = 0; i < a.updates.size(); ++i) EXPECT_EQ(a.updates[i].approx_kl, b.updates[i].approx_kl);
  EXPECT_EQ(a.props_updates.size(), 1024u / 64u - 1u);
}

TEST(Ppo, LearnsToPullTheBestArm) {
  const MultiArmedBandit bandit({{0.0, 0.2, 1.0, 0.4}, 0.5});
  TrainingOptions options;
  options.total_steps = 4096;
  options.copies = 8;
  options.steps_per_copy = 64;
  options.evaluation_points = 1;
  options.evaluation_episodes = 200;
  PpoOptions ppo;
  ppo.minibatches = 4;
  ppo.optimizer_values = {{"lr", 3e-3}, {"eps", 1e-5}};
  const TrainingResult result = train_ppo(bandit, options, ppo);
  // The best arm pays 1 (noise std 0.5 / sqrt(200) = 0.035); the next best 0.4.
  EXPECT_GT(result.evaluation_returns.back(), 0.85);
}

TEST(Ppo, RejectsSizesThatDoNotFit) {
  const CartPole cart_pole({500});
  TrainingOptions options;
  options.total_steps = 10;
  EXPECT_THROW(train_ppo(cart_pole, options, {}), std::invalid_argument);
  options.total_steps = 4096;
  options.props = PropsOptions{};
  options.props->update_every = 6;  // not a multiple of 4 copies
  EXPECT_THROW(train_ppo(cart_pole, options, {}), std::invalid_argument);
}

}  // namespace
}  // namespace descent::rl
