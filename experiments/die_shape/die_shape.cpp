// die-shape: Fricke, Wolff, Kemmerling & Elgeti, "Investigation of reinforcement learning for
// shape optimization of profile extrusion dies". Agents move free-form-deformation control points
// of a flow channel and a CFD solve rewards a homogeneous outlet flow; the paper compares agents and
// action modes ("direct": the action is the shape; "incremental": the action changes it) and the
// wall time multiple environments save. Their solver is not available: rl/channel_flow is a small
// analog (Taylor-Hood Stokes flow in a channel whose walls an FFD lattice deforms; the reward is
// the uniformity of the outlet fluxes), and Nelder-Mead on the same shape parameters is the
// derivative-free baseline, both counted in solver calls.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "../study_tools.hpp"
#include "descent/core/parallel.hpp"
#include "descent/repro/experiment.hpp"
#include "descent/report/series.hpp"
#include "descent/rl/channel_flow.hpp"
#include "descent/rl/nelder_mead.hpp"
#include "descent/rl/training.hpp"

namespace descent::repro {
namespace {

constexpr double kPoiseuilleTolerance = 0.01, kIdentityTolerance = 1e-12, kShareOfOptimum = 0.9, kParallelSpeedup = 1.3;
constexpr std::int64_t kPpoSeeds = 3, kNelderMeadCalls = 300, kParallelCopies = 4, kParallelSteps = 12;
constexpr std::int64_t kDirectSteps = 3072, kIncrementalSteps = 7680;

const Criterion kPoiseuille{"a straight channel driven by a pressure drop carries the Poiseuille profile",
                            fmt::format("max |u - u_Poiseuille| / max u_Poiseuille < {:.0f}% at mid-length", 100 * kPoiseuilleTolerance)};
const Criterion kIdentity{"the FFD lattice at its Greville points is the identity",
                          fmt::format("max |deformed - reference| vertex distance <= {:.0e}", kIdentityTolerance)};
const Criterion kDirect{"PPO in direct mode reaches the Nelder-Mead optimum",
                        fmt::format("median over {} seeds of U(PPO design) - U(straight) >= {:.0f}% of U(Nelder-Mead) - U(straight)", kPpoSeeds,
                                    100 * kShareOfOptimum)};
const Criterion kIncremental{"PPO in incremental mode reaches the Nelder-Mead optimum",
                             fmt::format("median over {} seeds of U(PPO design) - U(straight) >= {:.0f}% of U(Nelder-Mead) - U(straight)",
                                         kPpoSeeds, 100 * kShareOfOptimum)};
const Criterion kVectorized{"vectorized environments step exactly as sequential ones",
                            fmt::format("{} seeded copies, {} incremental steps of random actions on 2 threads: every observation and "
                                        "reward bit-identical to the copies stepped one by one",
                                        kParallelCopies, kParallelSteps)};
const Criterion kParallel{"parallel environments save wall time",
                          fmt::format("stepping {} copies on 2 threads >= {}x faster than on 1 (the best of 3 timings each)", kParallelCopies,
                                      kParallelSpeedup)};

rl::ChannelFlow::Options channel(rl::ActionMode mode, double reset_noise = 0.0) {
  rl::ChannelFlow::Options o;
  o.mode = mode;
  o.reset_noise = reset_noise;
  return o;
}

// --- exact checks ---------------------------------------------------------------------------------

double poiseuille_error() {
  rl::StokesChannel::Options o;
  o.inlet = rl::InletCondition::pressure_drop;
  rl::StokesChannel solver(o);
  solver.solve(solver.reference_vertices());
  const double gradient = o.pressure_drop / o.length, peak = gradient / 8.0;  // u(y) = G/2 y (1 - y), max G/8
  double worst = 0.0;
  for (std::int64_t row = 0; row < solver.fine_rows(); ++row) {
    const rl::Point2 at = solver.node(o.nx, row);  // column nx of the fine grid: mid-length
    worst = std::max(worst, std::abs(solver.velocity(o.nx, row).x - 0.5 * gradient * at.y * (1.0 - at.y)));
  }
  return worst / peak;
}

double identity_error() {
  const rl::ChannelFlow::Options o;
  const rl::WallFfd ffd(o.length, o.controls);
  rl::StokesChannel::Options solver_options;
  const std::vector<rl::Point2> reference = rl::StokesChannel(solver_options).reference_vertices();
  const std::vector<rl::Point2> deformed = ffd.deform(reference, std::vector<double>(static_cast<std::size_t>(o.controls), 0.0));
  double worst = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) worst = std::max(worst, std::hypot(deformed[i].x - reference[i].x, deformed[i].y - reference[i].y));
  return worst;
}

// --- vectorized and parallel stepping ---------------------------------------------------------------

std::vector<std::vector<double>> random_actions(Rng& rng, std::int64_t copies, std::int64_t dimension) {
  std::vector<std::vector<double>> actions(static_cast<std::size_t>(copies));
  for (auto& action : actions) {
    for (std::int64_t j = 0; j < dimension; ++j) action.push_back(2.0 * rng.uniform() - 1.0);
  }
  return actions;
}

struct SteppingResult {
  std::vector<double> trace;  // every observation value and reward, in order
  double seconds = 0.0;
};

SteppingResult step_vectorized(const rl::Environment& prototype, std::int64_t threads) {
  rl::VectorEnvironment environments(prototype, kParallelCopies, threads);
  Rng rng(17);
  SteppingResult result;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& o : environments.reset(23)) result.trace.insert(result.trace.end(), o.begin(), o.end());
  for (std::int64_t t = 0; t < kParallelSteps; ++t) {
    const rl::VectorStep step = environments.step(random_actions(rng, kParallelCopies, prototype.action_space().dimension));
    for (std::size_t i = 0; i < step.observation.size(); ++i) {
      result.trace.insert(result.trace.end(), step.observation[i].begin(), step.observation[i].end());
      result.trace.push_back(step.reward[i]);
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::vector<double> step_sequentially(const rl::Environment& prototype) {
  std::vector<std::unique_ptr<rl::Environment>> copies;
  for (std::int64_t i = 0; i < kParallelCopies; ++i) copies.push_back(prototype.clone());
  Rng rng(17);
  std::vector<double> trace;
  for (std::int64_t i = 0; i < kParallelCopies; ++i) {
    const std::vector<double> o = copies[static_cast<std::size_t>(i)]->reset(Rng::derived(23, static_cast<std::uint64_t>(i)).next());
    trace.insert(trace.end(), o.begin(), o.end());
  }
  for (std::int64_t t = 0; t < kParallelSteps; ++t) {
    const auto actions = random_actions(rng, kParallelCopies, prototype.action_space().dimension);
    for (std::int64_t i = 0; i < kParallelCopies; ++i) {
      rl::Environment& environment = *copies[static_cast<std::size_t>(i)];
      const rl::Transition transition = environment.step(actions[static_cast<std::size_t>(i)]);
      const std::vector<double> o = transition.terminated || transition.truncated ? environment.reset_continuing() : transition.observation;
      trace.insert(trace.end(), o.begin(), o.end());
      trace.push_back(transition.reward);
    }
  }
  return trace;
}

// --- the optimizers -----------------------------------------------------------------------------

struct Design {
  std::string label;
  rl::ShapeSolution shape;
};

// PPO for a single-step (direct) or multi-step (incremental) shape episode. Rewards are O(0.1):
// advantages are normalized per minibatch, so no reward scaling is needed.
rl::TrainingOptions ppo_training(rl::ActionMode mode, std::uint64_t seed) {
  rl::TrainingOptions o;
  o.total_steps = mode == rl::ActionMode::direct ? kDirectSteps : kIncrementalSteps;
  o.copies = 8;
  o.steps_per_copy = mode == rl::ActionMode::direct ? 16 : 40;
  o.seed = seed;
  o.evaluation_points = 8;
  o.evaluation_episodes = 1;
  o.deterministic_evaluation = true;
  o.threads = 1;
  return o;
}

rl::PpoOptions ppo_options() {
  rl::PpoOptions o;
  o.epochs = 10;
  o.minibatches = 4;
  o.entropy_coefficient = 0.0;
  o.target_kl.reset();
  o.optimizer_values = {{"lr", 3e-3}, {"eps", 1e-5}};
  return o;
}

// The design the trained policy's mean actions produce, starting from the straight channel.
std::vector<double> final_design(rl::PolicyNetworkImpl& policy, rl::ChannelFlow& environment) {
  std::vector<double> observation = environment.reset(0);
  for (;;) {
    const rl::Transition t = environment.step(policy.mean_action(rl::to_tensor({observation})).front());
    if (t.terminated || t.truncated) return environment.displacements();
    observation = t.observation;
  }
}

struct PpoRuns {
  std::vector<rl::TrainingResult> results;
  std::vector<std::vector<double>> designs;
  std::vector<double> uniformity;
};

PpoRuns train_designs(rl::ActionMode mode, int threads) {
  PpoRuns runs;
  runs.results.resize(kPpoSeeds);
  runs.designs.resize(kPpoSeeds);
  runs.uniformity.resize(kPpoSeeds);
  const rl::ChannelFlow prototype(channel(mode));
  parallel_for(kPpoSeeds, threads, [&](std::int64_t seed) {
    const auto s = static_cast<std::size_t>(seed);
    runs.results[s] = rl::train_ppo(prototype, ppo_training(mode, static_cast<std::uint64_t>(seed)), ppo_options());
    rl::ChannelFlow environment(channel(mode));
    runs.designs[s] = final_design(*runs.results[s].policy, environment);
    runs.uniformity[s] = environment.uniformity(runs.designs[s]);
  });
  return runs;
}

std::size_t median_seed(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  return order[order.size() / 2];
}

// --- charts -------------------------------------------------------------------------------------

report::BandSeries wall(const std::vector<rl::Point2>& vertices, std::int64_t nx, std::int64_t row) {
  report::BandSeries line;
  for (std::int64_t i = 0; i <= nx; ++i) {
    const rl::Point2& p = vertices[static_cast<std::size_t>(row * (nx + 1) + i)];
    line.add(p.x, p.y);
  }
  return line;
}

std::vector<report::ChartSpec> design_charts(const std::vector<Design>& designs) {
  const rl::ChannelFlow::Options o;
  report::ChartSpec shape{"The channel: walls of each design (flow from left to right; the outlet is the right edge)", "x", "y", false, {}};
  report::ChartSpec profile{"Outlet profile u(y) of each design", "y", "u", false, {}};
  for (std::size_t d = 0; d < designs.size(); ++d) {
    const std::string& color = report::series_color(d);
    shape.lines.push_back({designs[d].label + " (top)", color, wall(designs[d].shape.vertices, o.nx, o.ny)});
    shape.lines.push_back({designs[d].label + " (bottom)", color, wall(designs[d].shape.vertices, o.nx, 0)});
    report::BandSeries outlet;
    for (std::size_t k = 0; k < designs[d].shape.outlet.y.size(); ++k) outlet.add(designs[d].shape.outlet.y[k], designs[d].shape.outlet.u[k]);
    profile.lines.push_back({designs[d].label, color, outlet});
  }
  return {shape, profile};
}

report::BandSeries ppo_curve(const PpoRuns& runs, double start_uniformity, bool incremental) {
  report::BandSeries band;
  const rl::TrainingResult& first = runs.results.front();
  for (std::size_t k = 0; k < first.evaluation_steps.size(); ++k) {
    std::vector<double> values;
    for (const auto& r : runs.results) values.push_back((incremental ? start_uniformity : 0.0) + r.evaluation_returns[k]);
    band.add_spread(static_cast<double>(first.evaluation_steps[k]), values);
  }
  return band;
}

std::string format_design(const std::vector<double>& d) {
  std::vector<std::string> parts;
  for (double v : d) parts.push_back(fmt::format("{:+.3f}", v));
  return fmt::format("({})", fmt::join(parts, ", "));
}

Outcome run_die_shape(const Context& context) {
  torch::set_num_threads(1);
  Outcome outcome;
  const double poiseuille = poiseuille_error();
  outcome.record(kPoiseuille, fmt::format("max relative error {:.1e}", poiseuille), poiseuille < kPoiseuilleTolerance);
  const double identity = identity_error();
  outcome.record(kIdentity, fmt::format("max vertex distance {:.1e}", identity), identity <= kIdentityTolerance);

  // Nelder-Mead from the straight channel (the tests' simplex step 0.3 half heights).
  rl::ChannelFlow nm_environment(channel(rl::ActionMode::direct));
  const double bound = nm_environment.options().max_displacement;
  const auto controls = static_cast<std::size_t>(nm_environment.options().controls);
  rl::NelderMeadOptions nm;
  nm.max_evaluations = kNelderMeadCalls;
  nm.initial_step = 0.3;
  nm.value_tolerance = 1e-6;
  nm.size_tolerance = 1e-4;
  nm.lower.assign(controls, -bound);
  nm.upper.assign(controls, bound);
  const rl::NelderMeadResult simplex =
      rl::nelder_mead([&](const std::vector<double>& d) { return -nm_environment.uniformity(d); }, std::vector<double>(controls, 0.0), nm);
  const double straight = nm_environment.uniformity(std::vector<double>(controls, 0.0));
  const double optimum = -simplex.value, gain = optimum - straight;

  const PpoRuns direct = train_designs(rl::ActionMode::direct, context.threads);
  const PpoRuns incremental = train_designs(rl::ActionMode::incremental, context.threads);
  auto share = [&](const PpoRuns& runs) { return (median(runs.uniformity) - straight) / gain; };
  auto describe = [&](const PpoRuns& runs, std::int64_t steps, std::int64_t evaluation_solves) {
    std::vector<std::string> seeds;
    for (double u : runs.uniformity) seeds.push_back(fmt::format("{:.4f}", u));
    return fmt::format("U per seed {} after {} training solver calls each (the evaluations add up to {} more): median {:.1f}% of "
                       "Nelder-Mead's gain (U straight {:.4f}, Nelder-Mead {:.4f} after {} calls)",
                       fmt::join(seeds, ", "), steps, evaluation_solves, 100 * share(runs), straight, optimum, simplex.evaluations);
  };
  const std::int64_t evaluations = ppo_training(rl::ActionMode::direct, 0).evaluation_points;
  const std::int64_t episode_length = rl::ChannelFlow::Options{}.episode_length;
  outcome.record(kDirect, describe(direct, kDirectSteps, evaluations + 1), share(direct) >= kShareOfOptimum);
  outcome.record(kIncremental, describe(incremental, kIncrementalSteps, (evaluations + 1) * episode_length), share(incremental) >= kShareOfOptimum);

  const rl::ChannelFlow noisy(channel(rl::ActionMode::incremental, 0.5));
  const std::vector<double> sequential = step_sequentially(noisy);
  // Timings on a shared machine: the best of three runs of each.
  double one_thread = INFINITY, two_threads = INFINITY;
  bool identical = true;
  for (int repeat = 0; repeat < 3; ++repeat) {
    const SteppingResult one = step_vectorized(noisy, 1), two = step_vectorized(noisy, 2);
    identical = identical && one.trace == sequential && two.trace == sequential;
    one_thread = std::min(one_thread, one.seconds);
    two_threads = std::min(two_threads, two.seconds);
  }
  outcome.record(kVectorized, fmt::format("{} values compared, 6 vectorized runs (1 and 2 threads): {}", sequential.size(), identical ? "identical" : "DIFFERENT"),
                 identical);
  const double speedup = one_thread / two_threads;
  outcome.record(kParallel,
                 fmt::format("{:.2f} s on 1 thread, {:.2f} s on 2: {:.2f}x ({} hardware threads here)", one_thread, two_threads, speedup,
                             std::thread::hardware_concurrency()),
                 speedup >= kParallelSpeedup);

  // Charts: uniformity against solver calls, and the designs.
  report::ChartSpec progress{"Uniformity of the design against solver calls (PPO: median and quartiles over seeds of the mean policy's design)",
                             "solver calls", "U", false, {}};
  report::BandSeries simplex_line;
  for (std::size_t k = 0; k < simplex.best_history.size(); ++k) simplex_line.add(static_cast<double>(k + 1), -simplex.best_history[k]);
  progress.lines.push_back({"Nelder-Mead (best so far)", report::series_color(0), simplex_line});
  progress.lines.push_back({"PPO, direct", report::series_color(1), ppo_curve(direct, straight, false)});
  progress.lines.push_back({"PPO, incremental", report::series_color(2), ppo_curve(incremental, straight, true)});
  outcome.charts.push_back(progress);
  const std::size_t direct_median = median_seed(direct.uniformity), incremental_median = median_seed(incremental.uniformity);
  const std::vector<Design> designs{{"straight", nm_environment.solve_shape(std::vector<double>(controls, 0.0))},
                                    {"Nelder-Mead", nm_environment.solve_shape(simplex.point)},
                                    {"PPO direct", nm_environment.solve_shape(direct.designs[direct_median])},
                                    {"PPO incremental", nm_environment.solve_shape(incremental.designs[incremental_median])}};
  for (const report::ChartSpec& chart : design_charts(designs)) outcome.charts.push_back(chart);

  outcome.details_markdown = fmt::format(
      "| design | displacements (half heights, bound +-{}) | U |\n|---|---|---|\n| straight | {} | {:.4f} |\n| Nelder-Mead | {} | {:.4f} |\n"
      "| PPO direct (median seed) | {} | {:.4f} |\n| PPO incremental (median seed) | {} | {:.4f} |\n\n"
      "The environment (rl/channel_flow): Stokes flow in a channel of length 3 and height 1, Taylor-Hood elements on a 32 x 16 "
      "grid, parabolic inflow, do-nothing outlet; five control points of the top wall move vertically, mirrored below; U = 1 - "
      "mean |q_k - mean q| / mean q over 8 outlet segments (straight channel: 0.625). Direct mode: one step per episode, the "
      "action is the shape. Incremental mode: 10 steps of at most 0.1 half heights each from the straight channel, the reward "
      "the change in U, the steps left observed, the episode terminated (not truncated) at its end: a first run that truncated "
      "it without observing the time left (so the value target bootstrapped a future that does not exist, from a state that "
      "is not Markov) reached a median of 21.7% of Nelder-Mead's gain (one seed of three at 0.7204). PPO: 8 copies, Adam 3e-3 annealed, 10 epochs x 4 minibatches, no entropy bonus; the design is the "
      "mean action's. What the analog keeps of the paper: shape parameters moved through an FFD lattice, a flow solve per "
      "action, an outlet-homogeneity reward and the two action modes; what it does not: the paper's 3-D-derived die geometry, "
      "its non-Newtonian melt and its other agents (DQN, SAC, A2C, DDPG).",
      bound, format_design(designs[0].shape.displacements), straight, format_design(simplex.point), optimum,
      format_design(direct.designs[direct_median]), direct.uniformity[direct_median], format_design(incremental.designs[incremental_median]),
      incremental.uniformity[incremental_median]);
  return outcome;
}

}  // namespace

Experiment die_shape_experiment() {
  return {"die-shape",
          "Fricke, Wolff, Kemmerling & Elgeti, Investigation of reinforcement learning for shape optimization of profile extrusion dies",
          "a policy-gradient agent moving FFD control points of a flow channel finds a shape with homogeneous outflow, in direct and "
          "incremental action modes, and parallel environments save wall time",
          {kPoiseuille, kIdentity, kDirect, kIncremental, kVectorized, kParallel},
          "3 to 6 minutes at 2 threads",
          Budget::full,
          run_die_shape};
}

}  // namespace descent::repro
