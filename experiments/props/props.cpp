// props: Corrado & Hanna, "On-Policy Policy Gradient Reinforcement Learning Without On-Policy
// Sampling" (PROPS). On-policy sampling matches the target policy only in expectation; PROPS
// collects with a behaviour policy adapted to the buffer so that the data look on-policy (lower
// sampling error), and so learns from fewer environment steps. MuJoCo is not available here: the
// specs' scaled version runs the fixed-target sampling-error experiment (the reference code's
// se_fixed) on a bandit and on the reference repository's 5 x 5 GridWorld, and PPO with and
// without PROPS on CartPole.
#include <fmt/format.h>

#include <cmath>

#include "descent/core/parallel.hpp"
#include "descent/core/sample_statistics.hpp"
#include "descent/repro/experiment.hpp"
#include "descent/report/series.hpp"
#include "descent/rl/classic_environments.hpp"
#include "descent/rl/training.hpp"

namespace descent::repro {
namespace {

using Widths = std::vector<std::int64_t>;

constexpr std::int64_t kSeSeeds = 20, kSeSteps = 2000, kSeCheckpoints = 8;
constexpr double kSeRatio = 0.7, kExactTolerance = 1e-6;
constexpr std::int64_t kCartPoleSeeds = 10, kCartPoleBatch = 1024, kCartPoleSteps = 48 * kCartPoleBatch, kEvaluations = 8;
constexpr std::int64_t kBootstrapResamples = 4000;

const Criterion kKlClosedForm{"the Gaussian KL regularizer is KL(pi_phi || pi_theta)",
                              fmt::format("closed form within {:.0e} of quadrature, 2-d Gaussian policies at 8 states", kExactTolerance)};
const Criterion kGradientAtTheta{
    "at phi = theta the PROPS loss gradient is grad mean log pi_phi(a|s) (ROS's direction)",
    fmt::format("max |difference| <= {:.0e} over every parameter, discrete and Gaussian policies", kExactTolerance)};
const Criterion kBanditSe{"PROPS lowers the sampling error of a fixed target policy: 5-armed bandit",
                          fmt::format("mean SE over {} seeds after {} steps: PROPS <= {} x on-policy", kSeSeeds, kSeSteps, kSeRatio)};
const Criterion kGridWorldSe{"PROPS lowers the sampling error of a fixed target policy: GridWorld 5 x 5",
                             fmt::format("mean SE over {} seeds after {} steps: PROPS <= {} x on-policy", kSeSeeds, kSeSteps, kSeRatio)};
// Data efficiency is the claim, so the measure is the area under the learning curve: each seed's
// mean return over evaluations spread evenly through the run.
const std::string kCartPoleMeasure = fmt::format(
    "IQM over {} seeds of the target policy's mean return over {} evaluations in {} steps (every {})", kCartPoleSeeds, kEvaluations,
    kCartPoleSteps, kCartPoleSteps / kEvaluations);
const Criterion kCartPole{"PPO with PROPS learns CartPole from fewer steps than PPO (directional)", kCartPoleMeasure + ": PROPS >= PPO"};
const Criterion kCartPoleBuffer{"PPO with PROPS learns CartPole from fewer steps than PPO-Buffer (directional)",
                                kCartPoleMeasure + ": PROPS >= PPO-Buffer (PPO on the same two-batch buffer, sampled on-policy)"};

// --- exact checks ---------------------------------------------------------------------------------

// KL(N(m1, s1^2) || N(m2, s2^2)) by the midpoint rule in z = (x - m1) / s1 over [-14, 14].
double gaussian_kl_numerically(double m1, double s1, double m2, double s2) {
  constexpr int kCells = 400000;
  constexpr double kHalfWidth = 14.0;
  const double h = 2 * kHalfWidth / kCells;
  double sum = 0.0;
  for (int i = 0; i < kCells; ++i) {
    const double z = -kHalfWidth + (i + 0.5) * h, x = m1 + s1 * z;
    const double log_ratio = -0.5 * z * z - std::log(s1) + 0.5 * std::pow((x - m2) / s2, 2) + std::log(s2);
    sum += std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI) * log_ratio;
  }
  return sum * h;
}

double kl_closed_form_error() {
  const rl::ActionSpace space{0, 2, -1.0, 1.0};
  rl::PolicyNetwork phi(3, space, Widths{8}, 1, -0.4), theta(3, space, Widths{8}, 2, 0.3);
  torch::NoGradGuard no_grad;
  Rng rng(3);
  std::vector<std::vector<double>> states(8);
  for (auto& state : states) state = {rng.normal(), rng.normal(), rng.normal()};
  const torch::Tensor observations = rl::to_tensor(states);
  const torch::Tensor closed = phi->kl_divergence(*theta, observations);
  const rl::ActionDistribution p = phi->distribution(observations), q = theta->distribution(observations);
  double worst = 0.0;
  for (std::int64_t i = 0; i < 8; ++i) {
    double numeric = 0.0;
    for (std::int64_t j = 0; j < 2; ++j) {
      numeric += gaussian_kl_numerically(p.output[i][j].item<double>(), std::exp(p.log_std[j].item<double>()), q.output[i][j].item<double>(),
                                         std::exp(q.log_std[j].item<double>()));
    }
    worst = std::max(worst, std::abs(numeric - closed[i].item<double>()));
  }
  return worst;
}

double gradient_at_theta_error(const rl::ActionSpace& space, const torch::Tensor& actions) {
  rl::PolicyNetwork theta(3, space, Widths{16}, 4);
  rl::PolicyNetwork phi = rl::duplicate(*theta);
  Rng rng(5);
  std::vector<std::vector<double>> rows;
  for (std::int64_t i = 0; i < actions.size(0); ++i) rows.push_back({rng.normal(), rng.normal(), rng.normal()});
  const torch::Tensor s = rl::to_tensor(rows);
  const auto parameters = phi->parameters();
  const auto loss_gradient = torch::autograd::grad({rl::props_loss(*phi, theta->distribution(s), s, actions, {})}, parameters);
  const auto log_prob_gradient = torch::autograd::grad({phi->log_prob(s, actions).mean()}, parameters);
  double worst = 0.0;
  for (std::size_t i = 0; i < parameters.size(); ++i) worst = std::max(worst, (loss_gradient[i] - log_prob_gradient[i]).abs().max().item<double>());
  return worst;
}

// --- sampling error with a fixed target -------------------------------------------------------

// The reference code's settings for its tabular (GridWorld) fixed-target runs: Adam 0.1, clip 0.3,
// KL stop 0.1, 16 epochs x 8 minibatches; lambda 0.1 as in its discrete file; m = 16 as in the
// PROPS repository's discrete agent.
rl::PropsOptions tabular_props() {
  rl::PropsOptions o;
  o.update_every = 16;
  o.learning_rate = 0.1;
  o.clip = 0.3;
  o.target_kl = 0.1;
  o.kl_weight = 0.1;
  o.epochs = 16;
  o.minibatches = 8;
  return o;
}

struct SamplingErrorCurves {
  std::vector<std::vector<double>> on_policy, props;  // [seed][checkpoint]
};

// The tabular SE of the buffer's first n transitions at each checkpoint n.
std::vector<double> se_curve(const rl::FixedTargetBuffer& buffer, rl::PolicyNetworkImpl& target, std::int64_t states) {
  torch::NoGradGuard no_grad;
  const torch::Tensor p = target.probabilities(torch::eye(states, torch::kFloat64));
  std::vector<std::vector<double>> probabilities(static_cast<std::size_t>(states));
  for (std::int64_t s = 0; s < states; ++s) {
    for (std::int64_t a = 0; a < p.size(1); ++a) probabilities[static_cast<std::size_t>(s)].push_back(p[s][a].item<double>());
  }
  const torch::Tensor state_ids = buffer.observations.argmax(1);
  const std::vector<std::int64_t> all_states(state_ids.data_ptr<std::int64_t>(), state_ids.data_ptr<std::int64_t>() + state_ids.numel());
  const std::vector<std::int64_t> all_actions(buffer.actions.data_ptr<std::int64_t>(), buffer.actions.data_ptr<std::int64_t>() + buffer.actions.numel());
  std::vector<double> curve;
  for (std::int64_t c = 1; c <= kSeCheckpoints; ++c) {
    const auto n = static_cast<std::ptrdiff_t>(kSeSteps * c / kSeCheckpoints);
    curve.push_back(rl::tabular_sampling_error({all_states.begin(), all_states.begin() + n}, {all_actions.begin(), all_actions.begin() + n},
                                               probabilities));
  }
  return curve;
}

SamplingErrorCurves sampling_error_runs(const rl::Environment& prototype, int threads) {
  SamplingErrorCurves curves;
  curves.on_policy.resize(kSeSeeds);
  curves.props.resize(kSeSeeds);
  parallel_for(2 * kSeSeeds, threads, [&](std::int64_t task) {
    const std::int64_t seed = task / 2;
    const bool with_props = task % 2 == 1;
    const std::unique_ptr<rl::Environment> environment = prototype.clone();
    // The target: a linear (tabular) softmax policy at its initialization, near uniform, as the
    // reference's fixed targets (learning rate 0).
    rl::PolicyNetwork target(environment->observation_size(), environment->action_space(), Widths{}, Rng::derived(static_cast<std::uint64_t>(seed), 7).next());
    const rl::FixedTargetBuffer buffer = rl::collect_for_fixed_target(*environment, *target, kSeSteps,
                                                                      with_props ? std::optional(tabular_props()) : std::nullopt,
                                                                      static_cast<std::uint64_t>(seed));
    (with_props ? curves.props : curves.on_policy)[static_cast<std::size_t>(seed)] =
        se_curve(buffer, *target, environment->observation_size());
  });
  return curves;
}

std::vector<double> final_values(const std::vector<std::vector<double>>& curves) {
  std::vector<double> out;
  for (const auto& c : curves) out.push_back(c.back());
  return out;
}

report::BandSeries se_band(const std::vector<std::vector<double>>& curves) {
  report::BandSeries band;
  for (std::int64_t c = 0; c < kSeCheckpoints; ++c) {
    std::vector<double> values;
    for (const auto& curve : curves) values.push_back(curve[static_cast<std::size_t>(c)]);
    band.add_spread(static_cast<double>(kSeSteps * (c + 1) / kSeCheckpoints), values);
  }
  return band;
}

void record_sampling_error(Outcome& outcome, const Criterion& criterion, const std::string& environment, const SamplingErrorCurves& curves) {
  const SampleMoments on_policy = sample_moments(final_values(curves.on_policy)), props = sample_moments(final_values(curves.props));
  const double ratio = props.mean / on_policy.mean;
  outcome.record(criterion,
                 fmt::format("SE after {} steps: on-policy {:.5f} +- {:.5f}, PROPS {:.5f} +- {:.5f} (mean +- standard error over {} seeds): ratio {:.3f}",
                             kSeSteps, on_policy.mean, on_policy.standard_error, props.mean, props.standard_error, kSeSeeds, ratio),
                 ratio <= kSeRatio);
  report::ChartSpec chart{fmt::format("{}: sampling error of the buffer, fixed target (median and quartiles over seeds)", environment),
                          "environment steps", "SE = KL(pi_D || pi_theta)", true, {}};
  chart.lines.push_back({"on-policy sampling", report::series_color(0), se_band(curves.on_policy)});
  chart.lines.push_back({"PROPS", report::series_color(1), se_band(curves.props)});
  outcome.charts.push_back(chart);
}

// --- CartPole -----------------------------------------------------------------------------------

enum class Agent { ppo, ppo_buffer, props };
constexpr Agent kAgents[] = {Agent::ppo, Agent::ppo_buffer, Agent::props};
const char* agent_name(Agent agent) { return agent == Agent::ppo ? "PPO (b = 1)" : agent == Agent::ppo_buffer ? "PPO-Buffer (b = 2)" : "PPO + PROPS (b = 2)"; }

// PPOROS/PROPS/ppo_props_discrete.py's defaults (CartPole): lr 1e-3 annealed, 10 epochs, clip 0.2,
// GAE 0.99/0.95, target KL 0.03, entropy 0.01, value 0.5, gradient clip 0.5, n = 1024 per update;
// here 4 copies x 256 steps and 8 minibatches (its 32 minibatches of 32 cost 4x the time here:
// LibTorch's per-operation overhead dominates such small batches).
rl::TrainingOptions cartpole_training(std::uint64_t seed, Agent agent) {
  rl::TrainingOptions o;
  o.total_steps = kCartPoleSteps;
  o.copies = 4;
  o.steps_per_copy = kCartPoleBatch / 4;
  o.seed = seed;
  o.evaluation_points = kEvaluations;
  o.evaluation_episodes = 10;
  // PPO-Buffer and PROPS keep b = 2 batches, as the paper's agents do.
  o.buffer_batches = agent == Agent::ppo ? 1 : 2;
  if (agent == Agent::props) {
    // The same file's PROPS settings, lr 1e-3, clip 0.3, KL stop 0.03, lambda 0.1, refitting phi
    // every m = 256 steps (it has 128) with 16 epochs x 4 minibatches (the PROPS repository's
    // discrete agent; the file has 8): half the cost.
    rl::PropsOptions props;
    props.update_every = 256;
    props.learning_rate = 1e-3;
    props.clip = 0.3;
    props.target_kl = 0.03;
    props.kl_weight = 0.1;
    props.epochs = 16;
    props.minibatches = 4;
    o.props = props;
  }
  return o;
}

rl::PpoOptions cartpole_ppo() {
  rl::PpoOptions o;
  o.minibatches = 8;
  return o;
}

Outcome run_props(const Context& context) {
  torch::set_num_threads(1);  // the seeds run side by side instead: tiny networks gain nothing from intra-op threads
  Outcome outcome;
  const double kl_error = kl_closed_form_error();
  outcome.record(kKlClosedForm, fmt::format("largest |closed form - quadrature| = {:.1e}", kl_error), kl_error <= kExactTolerance);
  const double discrete_error = gradient_at_theta_error({4, 0, 0.0, 0.0}, torch::tensor({0, 1, 3, 3, 2, 0, 1, 2}, torch::kInt64));
  const double gaussian_error = gradient_at_theta_error({0, 2, -1.0, 1.0}, torch::linspace(-1.5, 1.5, 16, torch::kFloat64).reshape({8, 2}));
  outcome.record(kGradientAtTheta, fmt::format("discrete {:.1e}, Gaussian {:.1e}", discrete_error, gaussian_error),
                 std::max(discrete_error, gaussian_error) <= kExactTolerance);

  const rl::MultiArmedBandit bandit({});
  const rl::GridWorld grid({});
  record_sampling_error(outcome, kBanditSe, "bandit", sampling_error_runs(bandit, context.threads));
  record_sampling_error(outcome, kGridWorldSe, "GridWorld 5 x 5", sampling_error_runs(grid, context.threads));

  const rl::CartPole cart_pole({});
  constexpr auto kAgentCount = static_cast<std::int64_t>(std::size(kAgents));
  std::vector<rl::TrainingResult> runs(static_cast<std::size_t>(kAgentCount * kCartPoleSeeds));
  parallel_for(kAgentCount * kCartPoleSeeds, context.threads, [&](std::int64_t task) {
    const Agent agent = kAgents[task % kAgentCount];
    runs[static_cast<std::size_t>(task)] = rl::train_ppo(cart_pole, cartpole_training(static_cast<std::uint64_t>(task / kAgentCount), agent), cartpole_ppo());
  });
  auto run_of = [&](std::int64_t seed, std::size_t agent) -> const rl::TrainingResult& {
    return runs[static_cast<std::size_t>(seed * kAgentCount) + agent];
  };
  // area[a][seed]: the mean evaluation return; final[a][seed]: the last one.
  std::vector<std::vector<double>> area(std::size(kAgents)), final(std::size(kAgents));
  report::ChartSpec curves{"CartPole: the target policy's return (median and quartiles over seeds)", "environment steps", "return", false, {}};
  for (std::size_t a = 0; a < std::size(kAgents); ++a) {
    report::BandSeries band;
    for (std::size_t k = 0; k < static_cast<std::size_t>(kEvaluations); ++k) {
      std::vector<double> values;
      for (std::int64_t seed = 0; seed < kCartPoleSeeds; ++seed) values.push_back(run_of(seed, a).evaluation_returns.at(k));
      band.add_spread(static_cast<double>(run_of(0, a).evaluation_steps.at(k)), values);
    }
    for (std::int64_t seed = 0; seed < kCartPoleSeeds; ++seed) {
      area[a].push_back(sample_moments(run_of(seed, a).evaluation_returns).mean);
      final[a].push_back(run_of(seed, a).evaluation_returns.back());
    }
    curves.lines.push_back({agent_name(kAgents[a]), report::series_color(a), band});
  }
  outcome.charts.push_back(curves);
  Rng bootstrap_rng(11);
  auto summary = [&](std::size_t a) {
    const Interval interval = bootstrap_interval(area[a], interquartile_mean, kBootstrapResamples, 0.95, bootstrap_rng);
    return fmt::format("{} {:.1f} [95% bootstrap {:.1f}, {:.1f}; final return IQM {:.1f}]", agent_name(kAgents[a]), interquartile_mean(area[a]),
                       interval.low, interval.high, interquartile_mean(final[a]));
  };
  const std::string measured = fmt::format("IQM of the mean return: {}; {}; {}", summary(0), summary(1), summary(2));
  const double props_area = interquartile_mean(area[2]);
  outcome.record(kCartPole, measured, props_area >= interquartile_mean(area[0]));
  outcome.record(kCartPoleBuffer, measured, props_area >= interquartile_mean(area[1]));

  // The directional checks compare two IQMs; how the seeds split, and the interval of the paired
  // differences, say whether a verdict is a difference or noise.
  auto paired = [&](std::size_t other) {
    std::vector<double> differences;
    std::int64_t ahead = 0;
    for (std::size_t seed = 0; seed < area[2].size(); ++seed) {
      differences.push_back(area[2][seed] - area[other][seed]);
      ahead += area[2][seed] > area[other][seed] ? 1 : 0;
    }
    auto mean = [](std::vector<double> values) { return sample_moments(values).mean; };
    const Interval interval = bootstrap_interval(differences, mean, kBootstrapResamples, 0.95, bootstrap_rng);
    return fmt::format("PROPS ahead of {} on {} of {} seeds; mean paired difference {:+.1f} [95% bootstrap {:+.1f}, {:+.1f}]",
                       agent_name(kAgents[other]), ahead, kCartPoleSeeds, mean(differences), interval.low, interval.high);
  };
  const std::string paired_comparisons = fmt::format("{}. {}.", paired(0), paired(1));

  std::string per_seed = "| seed | PPO mean / final | PPO-Buffer mean / final | PROPS mean / final |\n|---|---|---|---|\n";
  for (std::size_t seed = 0; seed < static_cast<std::size_t>(kCartPoleSeeds); ++seed) {
    per_seed += fmt::format("| {} | {:.1f} / {:.1f} | {:.1f} / {:.1f} | {:.1f} / {:.1f} |\n", seed, area[0][seed], final[0][seed], area[1][seed],
                            final[1][seed], area[2][seed], final[2][seed]);
  }
  outcome.details_markdown = fmt::format(
      "Library: rl/ (environments, PolicyNetwork, PPO, PROPS, the sampling error). Sign: the reference's continuous file minimizes "
      "-logratio.mean() in its ROS mode and its discrete file +logratio.mean(); the paper's ROS lowers the likelihood of what was "
      "sampled, which raises that of the under-sampled actions: that is the + sign, and PROPS's loss at phi = theta has exactly this "
      "gradient (the second check). The KL regularizer here is the exact KL(pi_phi || pi_theta) for both action spaces (the "
      "reference's discrete file uses pi_theta(a|s)(log pi_theta - log pi_phi) at the sampled action only).\n\n"
      "Sampling error: SE = mean over the buffer of log pi_D(a|s) - log pi_theta(a|s) with pi_D(a|s) = N(s, a) / N(s), the maximum "
      "likelihood policy of the buffer (the paper's definition, exact for tabular states; the reference's GridWorld script reports "
      "an L1 distance of occupancies instead). Targets: a linear softmax policy at its initialization (near uniform); PROPS refits "
      "every 16 steps on everything collected so far. The bandit has arms with means 1, 0.8, 0.5, 0.2, 0 and unit noise; the "
      "GridWorld is the PROPS repository's (centre start, terminal corners worth 0.5 and 1, -0.01 per step, 15 steps).\n\n"
      "CartPole: each seed's target-policy return (each evaluation the mean of 10 sampled episodes, 500 at most), its mean over "
      "the evaluations and the last:\n\n{}\n{}\n\n"
      "What the analog keeps: the claim is about the data distribution a fixed number of environment steps produces, which "
      "does not depend on MuJoCo; what it loses is scale (the paper's continuous-control tasks run 1e6 steps and more).",
      per_seed, paired_comparisons);
  return outcome;
}

}  // namespace

Experiment props_experiment() {
  return {"props",
          "Corrado & Hanna, On-Policy Policy Gradient Reinforcement Learning Without On-Policy Sampling",
          "adaptive off-policy sampling (PROPS) makes the buffer closer to on-policy than on-policy sampling does, and PPO "
          "with PROPS learns from fewer environment steps than PPO and PPO-Buffer",
          {kKlClosedForm, kGradientAtTheta, kBanditSe, kGridWorldSe, kCartPole, kCartPoleBuffer},
          "4 to 8 minutes at 2 threads",
          Budget::full,
          run_props};
}

}  // namespace descent::repro
