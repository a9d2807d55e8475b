// descent's fused optimizers: against their scalar reference loops (every optimizer, many
// configurations and sizes, float and double, 1 and 2 threads), against python3-torch golden
// trajectories, and against the specs' test vectors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "descent/core/error.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/optim/description.hpp"
#include "reference_optimizers.hpp"

namespace descent::optim {
namespace {

using testing::reference_step;
using testing::ReferenceState;

// Distance in units in the last place between two finite values of the same type.
template <class T>
std::int64_t ulp_distance(T a, T b) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  Bits ia, ib;
  std::memcpy(&ia, &a, sizeof(T));
  std::memcpy(&ib, &b, sizeof(T));
  if (ia < 0) ia = std::numeric_limits<Bits>::min() - ia;
  if (ib < 0) ib = std::numeric_limits<Bits>::min() - ib;
  return std::abs(static_cast<std::int64_t>(ia) - static_cast<std::int64_t>(ib));
}

struct Config {
  std::string name;
  ParamValues hyper;
};

// Every optimizer with its defaults, plus the variants whose code paths differ.
std::vector<Config> configurations() {
  std::vector<Config> configs;
  for (const auto& info : catalog()) configs.push_back({info.name, {}});
  const std::vector<Config> variants = {
      {"sgd", {{"momentum", 0.9}}},
      {"sgd", {{"momentum", 0.9}, {"dampening", 0.2}, {"weight_decay", 0.01}}},
      {"sgd", {{"momentum", 0.9}, {"nesterov", 1}}},
      {"adagrad", {{"lr_decay", 0.1}, {"initial_accumulator_value", 0.5}, {"weight_decay", 0.01}}},
      {"rmsprop", {{"centered", 1}}},
      {"rmsprop", {{"momentum", 0.9}}},
      {"rmsprop", {{"centered", 1}, {"momentum", 0.5}, {"weight_decay", 0.1}}},
      {"adam", {{"amsgrad", 1}, {"weight_decay", 0.01}}},
      {"adamw", {{"amsgrad", 1}}},
      {"diffgrad", {{"published", 1}}},
      {"diffgrad", {{"weight_decay", 0.01}}},
      {"exadam", {{"growing_step", 1}, {"weight_decay", 0.1}}},
      {"lion", {{"weight_decay", 0.5}, {"lr", 0.1}}},
      {"lion_l2", {{"weight_decay", 0.5}, {"lr", 0.1}}},
      {"sign_sgd", {{"weight_decay", 0.1}}},
      {"lamb", {{"weight_decay", 0.01}, {"beta1", 0.8}}},
      {"adabelief", {{"weight_decay", 0.1}}},
      {"adabelief", {{"weight_decay", 0.01}, {"weight_decouple", 0}, {"eps", 1e-8}}},
  };
  configs.insert(configs.end(), variants.begin(), variants.end());
  return configs;
}

template <class T>
std::vector<T> random_vector(std::size_t n, std::mt19937_64& rng, double scale) {
  std::normal_distribution<double> normal(0.0, scale);
  std::vector<T> values(n);
  for (auto& v : values) v = static_cast<T>(normal(rng));
  return values;
}

// Steps the fused optimizer and the reference from the same state; after every step the two
// must agree to `max_ulps` in every parameter and state value.
template <class T>
void expect_matches_reference(const Config& config, std::size_t size, int threads, std::int64_t max_ulps) {
  std::mt19937_64 rng(size * 31 + static_cast<std::size_t>(threads));
  std::vector<T> fused_params = random_vector<T>(size, rng, 1.0);
  std::vector<T> reference_params = fused_params;
  FusedOptions options;
  options.threads = threads;
  options.chunk = 1000;  // small chunks: several work items even at modest sizes
  options.parallel_threshold = 2000;
  BufferOptimizer<T> fused(config.name, config.hyper, {std::span<T>(fused_params)}, options);
  const ParamValues resolved = resolve_hyperparameters(config.name, config.hyper);
  ReferenceState<T> state;
  for (long t = 1; t <= 6; ++t) {
    const std::vector<T> gradient = random_vector<T>(size, rng, t == 4 ? 0.0 : 1.0);  // one zero gradient
    const double loss = 1.5 + 0.1 * static_cast<double>(t);
    const std::vector<T> before = fused_params;
    reference_step(config.name, resolved, t, resolved.at("lr"), reference_params, gradient, state, loss);
    fused.step({std::span<const T>(gradient)}, loss);
    for (std::size_t i = 0; i < size; ++i) {
      // In ulps of the larger of the parameter before the step and the step itself: when the two
      // nearly cancel, an ulp of the result would be far smaller than the rounding of the inputs.
      const T scale = std::max(std::abs(before[i]), std::abs(reference_params[i] - before[i]));
      const T tolerance = static_cast<T>(max_ulps) * std::numeric_limits<T>::epsilon() * scale;
      const bool close = ulp_distance(fused_params[i], reference_params[i]) <= max_ulps ||
                         std::abs(fused_params[i] - reference_params[i]) <= tolerance;
      ASSERT_TRUE(close) << config.name << " step " << t << " element " << i << ": " << fused_params[i] << " vs "
                         << reference_params[i];
    }
    for (int k = 0; k < static_cast<int>(state.slot.size()); ++k) {
      for (std::size_t i = 0; i < size; ++i) {
        ASSERT_LE(ulp_distance(fused.state(0, k)[i], state.slot[k][i]), max_ulps) << config.name << " slot " << k;
      }
    }
    // Next step starts both from the fused values: errors are judged per step, not accumulated.
    reference_params = fused_params;
    for (int k = 0; k < static_cast<int>(state.slot.size()); ++k) state.slot[k] = fused.state(0, k);
  }
}

TEST(FusedOptimizers, MatchTheirReferenceLoops) {
  for (const auto& config : configurations()) {
    for (const std::size_t size : {1u, 7u, 33u, 1000u, 4099u}) {
      for (const int threads : {1, 2}) {
        SCOPED_TRACE(config.name + " size " + std::to_string(size) + " threads " + std::to_string(threads));
        // Rules with a global norm sum it in fixed chunks and lanes (so that the thread count does
        // not change the bits); the reference loop sums in order. A double sum of n terms carries
        // about sqrt(n) eps of rounding, so those rules get 64 ulps (of the step) at n = 4099.
        // Everything else matches to one ulp.
        const bool reduces = config.name == "adagrad_norm" || config.name == "normalized_gd" || config.name == "lion_l2" ||
                             config.name == "lamb";
        expect_matches_reference<float>(config, size, threads, reduces ? 4 : 1);
        expect_matches_reference<double>(config, size, threads, reduces ? 64 : 1);
      }
    }
  }
}

TEST(FusedOptimizers, ThreadCountDoesNotChangeTheBits) {
  for (const char* name : {"adam", "lion_l2", "normalized_gd", "adagrad_norm"}) {
    std::vector<std::vector<float>> results;
    for (const int threads : {1, 2}) {
      std::mt19937_64 rng(5);
      std::vector<float> params = random_vector<float>(300000, rng, 1.0);
      FusedOptions options;
      options.threads = threads;
      BufferOptimizer<float> optimizer(name, {}, {std::span<float>(params)}, options);
      for (int t = 0; t < 3; ++t) {
        const auto gradient = random_vector<float>(params.size(), rng, 1.0);
        optimizer.step({std::span<const float>(gradient)}, 2.0);
      }
      results.push_back(params);
    }
    EXPECT_EQ(results[0], results[1]) << name;
  }
}

TEST(FusedOptimizers, BadNamesAndValuesAreErrors) {
  std::vector<double> p(3, 0.0);
  EXPECT_THROW(BufferOptimizer<double>("adma", {}, {std::span<double>(p)}), ConfigError);
  try {
    BufferOptimizer<double>("adam", {{"beta3", 0.5}}, {std::span<double>(p)});
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("optimizer 'adam' has no hyperparameter 'beta3' (did you mean 'beta1'?)"),
              std::string::npos) << error.what();
  }
  try {
    BufferOptimizer<double>("lion", {{"beta2", 1.5}}, {std::span<double>(p)});
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("beta2 = 1.5 is out of range"), std::string::npos) << error.what();
  }
}

// --- golden trajectories from python3-torch (tests/golden/make_torch_goldens.py)

TEST(TorchGoldens, TrajectoriesMatchTo1e10) {
  std::ifstream in(DESCENT_GOLDEN_DIR "/torch_optimizers.json");
  ASSERT_TRUE(in) << "missing golden file";
  const auto golden = nlohmann::json::parse(in);
  const auto initial = golden.at("initial").get<std::vector<double>>();
  const auto a = golden.at("coefficients").get<std::vector<double>>();
  int cases = 0;
  for (const auto& c : golden.at("cases")) {
    const std::string name = c.at("optimizer");
    SCOPED_TRACE(name + " " + c.at("torch").get<std::string>());
    ParamValues hyper;
    for (const auto& [key, value] : c.at("hyper").items()) hyper[key] = value.get<double>();
    // Two buffers, as torch had a 3x2 matrix and a 6-vector.
    std::vector<double> matrix(initial.begin(), initial.begin() + 6), vector(initial.begin() + 6, initial.end());
    BufferOptimizer<double> optimizer(name, hyper, {std::span<double>(matrix), std::span<double>(vector)});
    const auto& trajectory = c.at("trajectory");
    for (std::size_t t = 0; t < trajectory.size(); ++t) {
      std::vector<double> gm(6), gv(6);
      for (int i = 0; i < 6; ++i) {
        gm[i] = a[i] * matrix[i] + 0.5 * std::cos(3.0 * matrix[i]);
        gv[i] = a[6 + i] * vector[i] + 0.5 * std::cos(3.0 * vector[i]);
      }
      optimizer.step({std::span<const double>(gm), std::span<const double>(gv)});
      const auto expected = trajectory[t].get<std::vector<double>>();
      for (int i = 0; i < 12; ++i) {
        const double got = i < 6 ? matrix[i] : vector[i - 6];
        ASSERT_NEAR(got, expected[i], 1e-10 * std::max(1.0, std::abs(expected[i]))) << "step " << t + 1 << " element " << i;
      }
    }
    ++cases;
  }
  EXPECT_EQ(cases, 19);
}

// --- the specs' test vectors

// x0 = [1, -2, 0.5], g1..g3 from the Lion and EXAdam entries of specs-20-39.md.
const std::vector<std::vector<double>> kSpecGradients = {{1, -0.5, 0}, {0.5, 0.5, 2}, {-1, 0.25, 1}};

std::vector<std::vector<double>> spec_trajectory(const std::string& name, const ParamValues& hyper, std::vector<double>* m = nullptr,
                                                 std::vector<std::vector<double>>* momenta = nullptr) {
  std::vector<double> x = {1, -2, 0.5};
  BufferOptimizer<double> optimizer(name, hyper, {std::span<double>(x)});
  std::vector<std::vector<double>> out;
  for (const auto& g : kSpecGradients) {
    optimizer.step({std::span<const double>(g)});
    out.push_back(x);
    if (momenta) momenta->push_back(optimizer.state(0, 0));
  }
  if (m) *m = optimizer.state(0, 0);
  return out;
}

void expect_rows(const std::vector<std::vector<double>>& got, const std::vector<std::vector<double>>& expected, double tolerance) {
  for (std::size_t t = 0; t < expected.size(); ++t) {
    for (std::size_t i = 0; i < expected[t].size(); ++i) EXPECT_NEAR(got[t][i], expected[t][i], tolerance) << "step " << t + 1 << " [" << i << "]";
  }
}

TEST(SpecVectors, Lion) {
  std::vector<std::vector<double>> momenta;
  const auto x = spec_trajectory("lion", {{"lr", 0.1}, {"beta1", 0.9}, {"beta2", 0.99}, {"weight_decay", 0.5}}, nullptr, &momenta);
  expect_rows(x, {{0.85, -1.8, 0.475}, {0.7075, -1.81, 0.35125}, {0.772125, -1.8195, 0.2336875}}, 1e-12);
  expect_rows(momenta, {{0.01, -0.005, 0}, {0.0149, 5e-5, 0.02}, {0.004751, 0.0025495, 0.0298}}, 1e-12);
}

TEST(SpecVectors, ExAdamBothVersions) {
  const auto v2 = spec_trajectory("exadam", {{"lr", 1e-3}});
  expect_rows(v2, {{0.9840475788, -1.9840478067, 0.5}, {0.9777189988, -1.9919429261, 0.487843701},
                   {0.9840219017, -1.9955608775, 0.4822878101}}, 1e-9);
  const auto v1 = spec_trajectory("exadam", {{"lr", 1e-3}, {"growing_step", 1}});
  expect_rows(v1, {{0.9889426242, -1.9889427822, 0.5}, {0.9832729777, -1.9960158596, 0.489109418},
                   {0.9898262367, -1.9997775189, 0.483332843}}, 1e-9);
  // float32 within 1e-5
  std::vector<float> x = {1, -2, 0.5};
  BufferOptimizer<float> optimizer("exadam", {{"lr", 1e-3}}, {std::span<float>(x)});
  for (const auto& g : kSpecGradients) {
    const std::vector<float> gf(g.begin(), g.end());
    optimizer.step({std::span<const float>(gf)});
  }
  EXPECT_NEAR(x[0], 0.9840219017, 1e-5);
  EXPECT_NEAR(x[1], -1.9955608775, 1e-5);
  EXPECT_NEAR(x[2], 0.4822878101, 1e-5);
}

// diffGrad's 5-step, 10-parameter vector against an independent float64 computation written
// from the paper's equations (not the reference loop above).
TEST(SpecVectors, DiffGradFiveStepsTenParameters) {
  std::mt19937_64 rng(11);
  std::vector<std::vector<double>> gradients;
  for (int t = 0; t < 5; ++t) gradients.push_back(random_vector<double>(10, rng, 1.0));
  std::vector<double> x(10, 0.25), expected(10, 0.25), m(10, 0), v(10, 0), previous(10, 0);
  BufferOptimizer<double> optimizer("diffgrad", {{"lr", 0.01}}, {std::span<double>(x)});
  std::vector<float> xf(10, 0.25f);
  BufferOptimizer<float> optimizer_f("diffgrad", {{"lr", 0.01}}, {std::span<float>(xf)});
  for (int t = 1; t <= 5; ++t) {
    const auto& g = gradients[t - 1];
    for (int i = 0; i < 10; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const double xi = 1.0 / (1.0 + std::exp(-std::abs(previous[i] - g[i])));
      EXPECT_GE(xi, 0.5);
      EXPECT_LT(xi, 1.0);
      previous[i] = g[i];
      expected[i] -= 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)) * xi * m[i] / (std::sqrt(v[i]) + 1e-8);
    }
    optimizer.step({std::span<const double>(g)});
    const std::vector<float> gf(g.begin(), g.end());
    optimizer_f.step({std::span<const float>(gf)});
    for (int i = 0; i < 10; ++i) {
      EXPECT_NEAR(x[i], expected[i], 1e-12);
      EXPECT_NEAR(xf[i], expected[i], 1e-6);
    }
  }
}

// The published code's xi == 0.5 makes diffGrad Adam (eps on the uncorrected root) at lr / 2.
// shivram1987/diffGrad's diffGrad.py: previous_grad starts at zeros, so step 1 uses
// xi = sigmoid(|g_1|); it then aliases p.grad, so every later step has xi = 0.5 (Adam with eps on
// the uncorrected root, at half the rate).
TEST(SpecVectors, DiffGradPublishedIsOneDiffGradStepThenAdamAtHalfTheRate) {
  std::mt19937_64 rng(3);
  std::vector<double> x(10, 0.1), adam_x(10, 0.1), m(10, 0), v(10, 0);
  BufferOptimizer<double> optimizer("diffgrad", {{"lr", 0.02}, {"published", 1}}, {std::span<double>(x)});
  for (int t = 1; t <= 20; ++t) {
    const auto g = random_vector<double>(10, rng, 1.0);
    optimizer.step({std::span<const double>(g)});
    for (int i = 0; i < 10; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const double xi = t == 1 ? 1 / (1 + std::exp(-std::abs(g[i]))) : 0.5;
      adam_x[i] -= 0.02 * xi * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)) * m[i] / (std::sqrt(v[i]) + 1e-8);
    }
  }
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(x[i], adam_x[i], 1e-14);
}

TEST(SpecVectors, DiffGradFrictionTendsToHalfForConstantGradients) {
  std::vector<double> x = {0.0};
  BufferOptimizer<double> optimizer("diffgrad", {}, {std::span<double>(x)});
  const std::vector<double> g = {0.7};
  optimizer.step({std::span<const double>(g)});
  optimizer.step({std::span<const double>(g)});
  // After two equal gradients, |g_prev - g| = 0: xi = sigmoid(0) = 0.5 exactly.
  EXPECT_EQ(optimizer.state(0, 2)[0], 0.7);
}

// AdaGrad-Norm by hand: b0 = 0.5, g1 = (3, 4) -> b1^2 = 0.25 + 25, g2 = (0, 1) -> b2^2 = 26.25.
TEST(SpecVectors, AdagradNormScalarStep) {
  std::vector<double> x = {1.0, 1.0};
  BufferOptimizer<double> optimizer("adagrad_norm", {{"lr", 1.0}, {"b0", 0.5}}, {std::span<double>(x)});
  optimizer.step({std::span<const double>(std::vector<double>{3, 4})});
  EXPECT_NEAR(x[0], 1.0 - 3.0 / std::sqrt(25.25), 1e-15);
  EXPECT_NEAR(x[1], 1.0 - 4.0 / std::sqrt(25.25), 1e-15);
  optimizer.step({std::span<const double>(std::vector<double>{0, 1})});
  EXPECT_NEAR(x[1], 1.0 - 4.0 / std::sqrt(25.25) - 1.0 / std::sqrt(26.25), 1e-15);
}

// Lion with decoupled decay: once inside the box ||x||_inf <= 1/wd it stays; outside, the
// distance to the box shrinks by (1 - lr * wd) per step at least.
TEST(LionBox, InvarianceAndContraction) {
  const double lr = 0.01, wd = 2.0, bound = 1.0 / wd;
  std::mt19937_64 rng(17);
  std::vector<double> x = {3.0, -2.0, 0.1, 0.4};
  BufferOptimizer<double> optimizer("lion", {{"lr", lr}, {"weight_decay", wd}}, {std::span<double>(x)});
  std::vector<bool> inside(x.size());
  for (int step = 0; step < 10000; ++step) {
    const auto before = x;
    const auto g = random_vector<double>(x.size(), rng, 3.0);
    optimizer.step({std::span<const double>(g)});
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double ulp = std::nextafter(bound, 2.0) - bound;
      if (std::abs(before[i]) <= bound) ASSERT_LE(std::abs(x[i]), bound + ulp) << "left the box at step " << step;
      const double outside_before = std::max(0.0, std::abs(before[i]) - bound);
      const double outside_after = std::max(0.0, std::abs(x[i]) - bound);
      ASSERT_LE(outside_after, (1 - lr * wd) * outside_before + 4 * ulp) << "step " << step;
    }
  }
  for (const double value : x) EXPECT_LE(std::abs(value), bound + 1e-12);
}

// f = 0.5 ||x - c||^2: Lion finds clip(c, +-1/wd); Lion-K with K = l2 finds the projection of c
// onto the ball of radius 1/wd. Both within 5 lr after 2e4 steps (specs acceptance c, d).
TEST(LionBox, SolvesTheConstrainedProblems) {
  const std::vector<double> c = {3, -0.5, 2, -4};
  const double lr = 1e-3, wd = 0.5;
  auto solve = [&](const std::string& name) {
    std::vector<double> x(4, 0.0);
    BufferOptimizer<double> optimizer(name, {{"lr", lr}, {"weight_decay", wd}}, {std::span<double>(x)});
    for (int step = 0; step < 20000; ++step) {
      std::vector<double> g(4);
      for (int i = 0; i < 4; ++i) g[i] = x[i] - c[i];
      optimizer.step({std::span<const double>(g)});
    }
    return x;
  };
  const auto box = solve("lion");
  const std::vector<double> clipped = {2, -0.5, 2, -2};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(box[i], clipped[i], 5 * lr);
  const auto ball = solve("lion_l2");
  const double norm = std::sqrt(9 + 0.25 + 4 + 16);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(ball[i], c[i] * (1 / wd) / norm, 5 * lr) << i;
}

// --- optimizers added through their descriptions alone (LAMB, AdaBelief), and clipping as a transform

// LAMB's trust ratio is per tensor: two buffers step as two separate reference loops would.
TEST(Lamb, TrustRatioIsPerTensor) {
  std::mt19937_64 rng(11);
  std::vector<double> a = random_vector<double>(37, rng, 1.0), b = random_vector<double>(500, rng, 0.01);
  std::vector<double> ref_a = a, ref_b = b;
  const ParamValues given = {{"lr", 0.01}, {"weight_decay", 0.1}};
  const ParamValues resolved = resolve_hyperparameters("lamb", given);
  BufferOptimizer<double> fused("lamb", given, {std::span<double>(a), std::span<double>(b)});
  testing::ReferenceState<double> state_a, state_b;
  for (long t = 1; t <= 5; ++t) {
    const auto ga = random_vector<double>(a.size(), rng, 1.0), gb = random_vector<double>(b.size(), rng, 1.0);
    fused.step({std::span<const double>(ga), std::span<const double>(gb)});
    reference_step("lamb", resolved, t, 0.01, ref_a, ga, state_a);
    reference_step("lamb", resolved, t, 0.01, ref_b, gb, state_b);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], ref_a[i], 1e-14) << "step " << t;
    for (std::size_t i = 0; i < b.size(); ++i) ASSERT_NEAR(b[i], ref_b[i], 1e-14) << "step " << t;
  }
}

// You et al. 2020, Algorithm 2 at t = 1: m^ = g, v^ = g^2, so r = g / (|g| + eps) + wd x and
// x1 = x - lr ||x|| / ||r|| r.
TEST(Lamb, FirstStepFromThePaper) {
  std::vector<double> x = {0.5, -2.0, 1.5, 0.0}, x0 = x;
  const std::vector<double> g = {0.3, -0.1, 2.0, -4.0};
  const double lr = 0.1, wd = 0.01, eps = 1e-6;
  BufferOptimizer<double> lamb("lamb", {{"lr", lr}, {"weight_decay", wd}}, {std::span<double>(x)});
  lamb.step({std::span<const double>(g)});
  std::vector<double> r(4);
  double x_norm = 0, r_norm = 0;
  for (int i = 0; i < 4; ++i) {
    r[i] = g[i] / (std::abs(g[i]) + eps) + wd * x0[i];
    x_norm += x0[i] * x0[i];
    r_norm += r[i] * r[i];
  }
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(x[i], x0[i] - lr * std::sqrt(x_norm / r_norm) * r[i], 1e-15);
  // A zero parameter tensor takes the plain Adam step (ratio 1).
  std::vector<double> zero = {0.0, 0.0};
  BufferOptimizer<double> from_zero("lamb", {{"lr", lr}}, {std::span<double>(zero)});
  const std::vector<double> g2 = {1.0, -3.0};
  from_zero.step({std::span<const double>(g2)});
  EXPECT_NEAR(zero[0], -lr * (1.0 / (1.0 + eps)), 1e-15);
  EXPECT_NEAR(zero[1], lr * (3.0 / (3.0 + eps)), 1e-15);
}

// AdaBelief (official adabelief_pytorch 0.2.1, rectify off) at t = 1: m = (1 - b1) g,
// s = (1 - b2)(b1 g)^2 + eps, x1 = x (1 - lr wd) - lr / (1 - b1) m / (sqrt(s / (1 - b2)) + eps).
// At t = 2 with g2: the same recursions, by hand.
TEST(AdaBelief, TwoStepsFromTheOfficialCode) {
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
  std::vector<double> x = {0.5, -1.0}, x0 = x;
  BufferOptimizer<double> belief("adabelief", {{"lr", lr}, {"eps", eps}, {"weight_decay", wd}}, {std::span<double>(x)});
  const std::vector<double> g1 = {0.2, -3.0}, g2 = {-0.4, 1.0};
  belief.step({std::span<const double>(g1)});
  belief.step({std::span<const double>(g2)});
  for (int i = 0; i < 2; ++i) {
    double p = x0[i], m = 0, s = 0;
    const double gs[] = {g1[i], g2[i]};
    for (int t = 1; t <= 2; ++t) {
      const double g = gs[t - 1];
      p *= 1 - lr * wd;
      m = b1 * m + (1 - b1) * g;
      s = b2 * s + (1 - b2) * (g - m) * (g - m) + eps;
      const double denom = std::sqrt(s) / std::sqrt(1 - std::pow(b2, t)) + eps;
      p -= lr / (1 - std::pow(b1, t)) * m / denom;
    }
    EXPECT_NEAR(x[i], p, 1e-15) << i;
    EXPECT_NEAR(belief.state(0, "m")[static_cast<std::size_t>(i)], m, 1e-17) << i;
    EXPECT_NEAR(belief.state(0, "s")[static_cast<std::size_t>(i)], s, 1e-17) << i;
  }
  EXPECT_EQ(belief.slot_names(), (std::vector<std::string>{"m", "s"}));
}

// clip_norm is the chain's first transform: g * min(1, c / (||g|| + 1e-6)) over the group.
TEST(ClipByGlobalNorm, ScalesTheWholeGroupBeforeTheRule) {
  std::vector<double> a = {1.0, 2.0}, b = {-2.0};
  const std::vector<double> ga = {3.0, 0.0}, gb = {4.0};  // ||g|| = 5
  BufferOptimizer<double> sgd("sgd", {{"lr", 0.1}, {"clip_norm", 1.0}}, {std::span<double>(a), std::span<double>(b)});
  sgd.step({std::span<const double>(ga), std::span<const double>(gb)});
  const double scale = 1.0 / (5.0 + 1e-6);
  EXPECT_DOUBLE_EQ(a[0], 1.0 - 0.1 * 3.0 * scale);
  EXPECT_DOUBLE_EQ(a[1], 2.0);
  EXPECT_DOUBLE_EQ(b[0], -2.0 - 0.1 * 4.0 * scale);
  // Below the threshold nothing changes, bit for bit.
  std::vector<double> c = {1.0}, d = {1.0};
  const std::vector<double> g = {0.25};
  BufferOptimizer<double> clipped("adam", {{"clip_norm", 10.0}}, {std::span<double>(c)});
  BufferOptimizer<double> plain("adam", {}, {std::span<double>(d)});
  clipped.step({std::span<const double>(g)});
  plain.step({std::span<const double>(g)});
  EXPECT_EQ(c[0], d[0]);
}

// Every description is complete: a paper, lr first, clip_norm last, named state slots, and a
// preconditioner only on slots the rule has.
TEST(Descriptions, EveryOptimizerDescribesItself) {
  for (const auto& d : catalog()) {
    SCOPED_TRACE(d.name);
    EXPECT_FALSE(d.paper.empty());
    EXPECT_EQ(d.params.front().name, "lr");
    EXPECT_EQ(d.params.back().name, "clip_norm");
    const ParamValues resolved = d.resolve({});
    const auto rule = d.build<float>(resolved);
    EXPECT_EQ(static_cast<int>(rule->slot_names().size()), rule->slots());
    if (d.preconditioner) {
      const auto form = d.preconditioner(resolved, 3);
      ASSERT_TRUE(form.has_value());
      const auto names = rule->slot_names();
      EXPECT_NE(std::find(names.begin(), names.end(), form->slot), names.end()) << form->slot;
    }
  }
  EXPECT_NE(find_optimizer("lamb"), nullptr);
  EXPECT_NE(find_optimizer("adabelief"), nullptr);
  const auto names = optimizer_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

}  // namespace
}  // namespace descent::optim
