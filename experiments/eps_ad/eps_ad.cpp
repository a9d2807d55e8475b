// eps-ad: Zhang, Liu, Du, Li, Han & Liu, "Detecting Adversarial Data by Probing Multiple
// Perturbations Using Expected Perturbation Score" (ICML 2023). Abstract: "we propose a new
// statistic called expected perturbation score (EPS), which is essentially the expected score of a
// sample after various perturbations ... we develop EPS-based maximum mean discrepancy (MMD) as a
// metric to measure the discrepancy between test samples and natural samples". Their setting
// (CIFAR-10 / ImageNet, a pretrained score_sde diffusion model) cannot run here; the specs' analytic
// analog keeps the statistic exact: a Gaussian mixture whose diffused score is known in closed
// form, a small classifier on it, and its FGSM and PGD examples.
#include <fmt/format.h>

#include <cmath>

#include "descent/attack/attacks.hpp"
#include "descent/data/dataset.hpp"
#include "descent/experiment_configs.hpp"
#include "descent/models/models.hpp"
#include "descent/study/config.hpp"
#include "descent/two_sample/auroc.hpp"
#include "descent/two_sample/mmd.hpp"
#include "descent/two_sample/perturbation_score.hpp"
#include "descent/two_sample/score_matching.hpp"
#include "descent/two_sample/vp_sde.hpp"
#include "../study_tools.hpp"
#include "descent/repro/experiment.hpp"

namespace descent::repro {
namespace {

using namespace descent::two_sample;

constexpr std::int64_t kDimension = 32, kManifold = 4, kComponents = 4, kTrain = 4000, kReference = 500, kTest = 500;
constexpr double kComponentStd = 0.5, kMeanDistance = 3.0;  // typical distance between component means
constexpr double kOffManifoldStd = 0.05;                    // the data's thickness across its 4-dimensional plane
constexpr double kEpsilon = 0.1;                            // L-infinity, about a sixth of a coordinate's spread
constexpr double kSdeTolerance = 1e-7, kFormulaTolerance = 1e-10, kStandardErrors = 3.0;
constexpr double kAuroc = 0.9, kAurocGain = 0.05;
const std::vector<double> kSweep = {0.002, 0.005, 0.01, 0.02, 0.05};
const std::vector<std::int64_t> kScoreHidden = {128, 128};
const ScoreMatchingOptions kScoreMatching{.t_min = 1e-3, .t_max = 0.1, .learning_rate = 1e-3, .steps = 3000, .batch = 256};
const VpSde kSde{};
const PerturbationOptions kEps{};                              // T = 50, dt = 1/1000
const PerturbationOptions kSingle{.steps = 1, .dt = 1e-3};     // one score at t = 1/1000

const Criterion kSdeClosedForm{"the VP-SDE marginal matches its closed form",
                               fmt::format("alpha(t) and sigma(t) against RK4 solutions of their ODEs, |difference| <= {:.0e} on t in (0, 1]", kSdeTolerance)};
const Criterion kEpsExpectation{"EPS with the analytic score averages to its closed form",
                                fmt::format("for N(mu, s^2 I) in R^4, the Monte Carlo mean of EPS(x) within {} standard errors of "
                                            "-(1/T) sum_k alpha_k (x - mu) / (alpha_k^2 s^2 + sigma_k^2) in every coordinate",
                                            kStandardErrors)};
const Criterion kMmdFormulas{"MMD estimates match their formulas",
                             fmt::format("MMD^2_u, its variance and MMD^2_b on fixed random kernel matrices against direct sums, <= {:.0e}", kFormulaTolerance)};
const Criterion kDetectsFgsm{"EPS-MMD detects FGSM examples",
                             fmt::format("AUROC >= {} and >= the single-timestep score's AUROC + {}", kAuroc, kAurocGain)};
const Criterion kDetectsPgd{"EPS-MMD detects PGD examples", fmt::format("AUROC >= {} and >= the single-timestep score's AUROC + {}", kAuroc, kAurocGain)};

// ---- the checks of formulas ---------------------------------------------------------------------

double sde_largest_gap() {
  double m = 1.0, v = 0.0, largest = 0.0;
  constexpr int steps = 20000;
  const double h = 1.0 / steps;
  const auto rk4 = [h](double t, double y, auto&& f) {
    const double k1 = f(t, y), k2 = f(t + h / 2, y + h / 2 * k1), k3 = f(t + h / 2, y + h / 2 * k2), k4 = f(t + h, y + h * k3);
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
  };
  for (int i = 0; i < steps; ++i) {
    const double t = i * h;
    m = rk4(t, m, [](double s, double y) { return -0.5 * kSde.beta(s) * y; });
    v = rk4(t, v, [](double s, double y) { return kSde.beta(s) * (1 - y); });
    largest = std::max({largest, std::abs(kSde.mean_coefficient(t + h) - m), std::abs(kSde.marginal_std(t + h) - std::sqrt(v))});
  }
  return largest;
}

double eps_largest_z() {
  const auto f64 = torch::kFloat64;
  const GaussianMixture single{torch::tensor({1.0}, f64), torch::tensor({{0.5, -0.5, 1.0, 0.0}}, f64), torch::tensor({0.4}, f64)};
  const torch::Tensor x = torch::tensor({{1.0, 0.0, -0.5, 0.3}}, f64).expand({20000, 4}).contiguous();
  torch::Generator generator = at::detail::createCPUGenerator(31);
  const torch::Tensor eps = expected_perturbation_score([&](const torch::Tensor& xt, double t) { return mixture_score(single, kSde, xt, t); },
                                                        kSde, x, kEps, generator);
  double factor = 0.0;
  for (int k = 1; k <= kEps.steps; ++k) {
    const double t = k * kEps.dt, alpha = kSde.mean_coefficient(t), sigma = kSde.marginal_std(t);
    factor += alpha / (alpha * alpha * 0.16 + sigma * sigma) / kEps.steps;
  }
  const torch::Tensor expected = -factor * (x[0] - single.means[0]);
  const torch::Tensor z = (eps.mean(0) - expected) / (eps.std(0) / std::sqrt(20000.0));
  return z.abs().max().item<double>();
}

double mmd_largest_gap() {
  torch::Generator generator = at::detail::createCPUGenerator(32);
  const std::int64_t n = 9;
  const auto symmetric = [&] {
    const torch::Tensor a = torch::rand({n, n}, generator, torch::kFloat64);
    return (a + a.t()) / 2;
  };
  const KernelMatrices k{symmetric(), symmetric(), torch::rand({n, n}, generator, torch::kFloat64)};
  const auto at = [](const torch::Tensor& m, std::int64_t i, std::int64_t j) { return m[i][j].item<double>(); };
  double off = 0.0, v1 = 0.0, v2 = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    double row = 0.0;
    for (std::int64_t j = 0; j < n; ++j) {
      if (i != j) off += at(k.xx, i, j) + at(k.yy, i, j) - 2 * at(k.xy, i, j);
      const double h = at(k.xx, i, j) + at(k.yy, i, j) - at(k.xy, i, j) - at(k.xy, j, i);
      row += h;
      v2 += h;
    }
    v1 += row * row / static_cast<double>(n * n);
  }
  v1 /= static_cast<double>(n);
  v2 /= static_cast<double>(n * n);
  double largest = std::max(std::abs(mmd2_unbiased(k).item<double>() - off / static_cast<double>(n * (n - 1))),
                            std::abs(mmd2_variance(k).item<double>() - 4 * (v1 - v2 * v2)));
  const torch::Tensor self = torch::rand({n}, generator, torch::kFloat64);
  const torch::Tensor batch = mmd2_batch(k.xx.mean(), k.xy, self);
  for (std::int64_t j = 0; j < n; ++j) {
    double cross = 0.0;
    for (std::int64_t i = 0; i < n; ++i) cross += at(k.xy, i, j);
    largest = std::max(largest, std::abs(batch[j].item<double>() - (k.xx.mean().item<double>() - 2 * cross / static_cast<double>(n) + self[j].item<double>())));
  }
  return largest;
}

// ---- detection on the synthetic mixture ---------------------------------------------------------

// Four components; on a manifold, means N(0, c^2 I_4) in a random 4-dimensional plane with
// c = kMeanDistance / sqrt(8), else N(0, c^2 I_32) with c = kMeanDistance / sqrt(64): pairwise
// distances near kMeanDistance either way.
GaussianMixture synthetic_mixture(bool on_manifold) {
  torch::Generator generator = at::detail::createCPUGenerator(41);
  const auto f64 = torch::kFloat64;
  GaussianMixture mixture{torch::full({kComponents}, 1.0 / kComponents, f64), {}, torch::full({kComponents}, kComponentStd, f64)};
  if (!on_manifold) {
    mixture.means = torch::randn({kComponents, kDimension}, generator, f64) * (kMeanDistance / std::sqrt(2.0 * kDimension));
    return mixture;
  }
  mixture.subspace = std::get<0>(torch::linalg::qr(torch::randn({kDimension, kManifold}, generator, f64)));
  mixture.off_subspace_std = kOffManifoldStd;
  mixture.means = torch::matmul(torch::randn({kComponents, kManifold}, generator, f64) * (kMeanDistance / std::sqrt(2.0 * kManifold)), mixture.subspace.t());
  return mixture;
}

data::Dataset as_dataset(const torch::Tensor& x, const torch::Tensor& labels, const std::string& name) {
  data::Dataset dataset;
  dataset.name = name;
  dataset.sample_shape = {kDimension};
  dataset.num_classes = kComponents;
  const torch::Tensor features = x.to(torch::kFloat32).contiguous();
  dataset.features.assign(features.data_ptr<float>(), features.data_ptr<float>() + features.numel());
  const torch::Tensor classes = labels.contiguous();
  dataset.labels.assign(classes.data_ptr<std::int64_t>(), classes.data_ptr<std::int64_t>() + classes.numel());
  return dataset;
}

struct Detection {
  double eps_auroc = 0.0, single_auroc = 0.0, attack_success = 0.0;
};

// The detector's score of each test point: MMD^2_b between the clean reference EPSs and its EPS.
std::vector<double> mmd_scores(const torch::Tensor& reference, const torch::Tensor& tested, double bandwidth) {
  const torch::Tensor cross = gaussian_kernel(reference, tested, bandwidth);
  const torch::Tensor scores = mmd2_batch(gaussian_kernel(reference, reference, bandwidth).mean(), cross, torch::ones({tested.size(0)}, tested.options()));
  return std::vector<double>(scores.data_ptr<double>(), scores.data_ptr<double>() + scores.numel());
}

// AUROC of clean versus attacked test points under one perturbation schedule.
double detection_auroc(const ScoreFunction& score, const PerturbationOptions& schedule, const torch::Tensor& reference,
                       const torch::Tensor& clean, const torch::Tensor& attacked, torch::Generator& generator) {
  const torch::Tensor reference_eps = expected_perturbation_score(score, kSde, reference, schedule, generator);
  const torch::Tensor clean_eps = expected_perturbation_score(score, kSde, clean, schedule, generator);
  const torch::Tensor attacked_eps = expected_perturbation_score(score, kSde, attacked, schedule, generator);
  const double bandwidth = median_squared_distance(reference_eps);
  return auroc(mmd_scores(reference_eps, clean_eps, bandwidth), mmd_scores(reference_eps, attacked_eps, bandwidth));
}

struct AttackRow {
  std::string attack;
  double success = 0.0, eps_auroc = 0.0, single_auroc = 0.0;
};

struct DetectionRun {
  std::string data;
  double accuracy = 0.0;  // the classifier's, on clean test points
  std::vector<AttackRow> rows;
};

// The exact score of the diffused mixture, or (learned) a network trained by denoising score
// matching on the classifier's training points.
enum class Score { exact, learned };

ScoreFunction score_of(const GaussianMixture& mixture, Score kind, const torch::Tensor& train_x, torch::Generator& generator) {
  if (kind == Score::exact) return [mixture](const torch::Tensor& xt, double t) { return mixture_score(mixture, kSde, xt, t); };
  torch::manual_seed(43);
  ScoreNetwork network(kDimension, kScoreHidden);
  network->to(torch::kFloat64);
  train_score_network(network, train_x, kSde, kScoreMatching, generator);
  return [network](const torch::Tensor& xt, double t) mutable {
    torch::NoGradGuard no_grad;
    return network->forward(xt, t);
  };
}

// Trains the classifier on the mixture, attacks fresh points with FGSM and PGD, and scores the
// detector with EPS and with a single score.
DetectionRun run_detection(const GaussianMixture& mixture, const std::string& name, double epsilon, const Context& context,
                           Score score_kind = Score::exact) {
  torch::Generator generator = at::detail::createCPUGenerator(42);
  const auto [train_x, train_y] = mixture.sample(kTrain, generator);
  const auto [test_x, test_y] = mixture.sample(kTest, generator);
  const auto [reference, reference_y] = mixture.sample(kReference, generator);
  const auto [attack_x, attack_y] = mixture.sample(kTest, generator);
  const data::Splits splits{as_dataset(train_x, train_y, "mixture"), {}, as_dataset(test_x, test_y, "mixture/test")};
  const std::filesystem::path dir = context.report_dir / "repro-eps-ad";
  std::filesystem::create_directories(dir);
  const study::StudyConfig config = study::parse_study_config(configs::eps_ad, "experiments/eps_ad/classifier.toml");
  const TrainedModel classifier = train_in_memory(config, splits, 0, dir / fmt::format("classifier-{}.pt", name), context);
  DetectionRun run{name, classifier.summary.at("final_test_accuracy"), {}};
  const ScoreFunction score = score_of(mixture, score_kind, train_x, generator);
  const std::vector<std::pair<std::string, attack::AttackOptions>> attacks = {
      {"FGSM", {.kind = "fgsm", .eps = epsilon}}, {"PGD", {.kind = "pgd", .eps = epsilon, .step_size = epsilon / 4, .steps = 10}}};
  for (const auto& [attack_name, options] : attacks) {
    const torch::Tensor attacked = attack::perturb(*classifier.model, attack_x.to(torch::kFloat32), attack_y, true, options, generator);
    double success = 0.0;
    {
      torch::NoGradGuard no_grad;
      success = classifier.model->forward(attacked).argmax(1).ne(attack_y).to(torch::kFloat64).mean().item<double>();
    }
    const torch::Tensor attacked64 = attacked.to(torch::kFloat64);
    run.rows.push_back({attack_name, success, detection_auroc(score, kEps, reference, test_x, attacked64, generator),
                        detection_auroc(score, kSingle, reference, test_x, attacked64, generator)});
  }
  return run;
}

Outcome run_eps_ad(const Context& context) {
  Outcome outcome;
  const double sde_gap = sde_largest_gap();
  outcome.record(kSdeClosedForm, fmt::format("largest difference {:.2e}", sde_gap), sde_gap <= kSdeTolerance);
  const double largest_z = eps_largest_z();
  outcome.record(kEpsExpectation, fmt::format("largest |z| over the coordinates {:.2f} (20,000 draws)", largest_z), largest_z <= kStandardErrors);
  const double mmd_gap = mmd_largest_gap();
  outcome.record(kMmdFormulas, fmt::format("largest difference {:.2e}", mmd_gap), mmd_gap <= kFormulaTolerance);

  const DetectionRun manifold = run_detection(synthetic_mixture(true), "manifold", kEpsilon, context);
  const DetectionRun isotropic = run_detection(synthetic_mixture(false), "isotropic", kEpsilon, context);
  const DetectionRun learned = run_detection(synthetic_mixture(true), "manifold, learned score", kEpsilon, context, Score::learned);
  for (const AttackRow& row : manifold.rows) {
    outcome.record(row.attack == "FGSM" ? kDetectsFgsm : kDetectsPgd,
                   fmt::format("AUROC {:.4f}, single-timestep {:.4f} (attack success {:.3f})", row.eps_auroc, row.single_auroc, row.success),
                   row.eps_auroc >= kAuroc && row.eps_auroc >= row.single_auroc + kAurocGain);
  }
  std::string table = "| data | classifier accuracy | attack | attack success | AUROC, EPS (T = 50) | AUROC, single score (t = 1/1000) |\n|---|---|---|---|---|---|\n";
  for (const DetectionRun* run : {&manifold, &isotropic, &learned}) {
    for (const AttackRow& row : run->rows) {
      table += fmt::format("| {} | {:.3f} | {} (eps {}) | {:.3f} | {:.4f} | {:.4f} |\n", run->data, run->accuracy, row.attack, kEpsilon, row.success,
                           row.eps_auroc, row.single_auroc);
    }
  }
  // Measured after check 4/5's verdicts, to find out why: does averaging over noise levels pay off
  // where detection is hard? Reported only.
  std::string sweep = "| eps | FGSM: EPS / single | PGD: EPS / single |\n|---|---|---|\n";
  for (const double epsilon : kSweep) {
    const DetectionRun run = run_detection(synthetic_mixture(true), "manifold", epsilon, context);
    sweep += fmt::format("| {} | {:.4f} / {:.4f} | {:.4f} / {:.4f} |\n", epsilon, run.rows[0].eps_auroc, run.rows[0].single_auroc,
                         run.rows[1].eps_auroc, run.rows[1].single_auroc);
  }
  outcome.details_markdown = fmt::format(
      "Data (checked: 'manifold'): a mixture of {} Gaussians in R^{} lying near a random {}-dimensional plane: std {} along it, {} "
      "across it, means in the plane about {} apart; already in the diffusion's coordinates; classes are components. The control "
      "('isotropic') is the same mixture spread over all {} dimensions (std {} in each). Classifier for each: MLP {}-64-{}, Adam 3e-3, "
      "20 epochs on {} points. Attacks: L-infinity eps {} (FGSM; PGD 10 steps of eps/4 from a random start), on {} fresh points, "
      "all of them scored whether the attack succeeded or not. EPS: T = {} steps of dt = {}, one fresh noise draw per step, with the "
      "exact score of the diffused mixture; the single-timestep score is the same with T = 1. Detector: MMD^2_b between {} clean "
      "reference EPSs and each test point's EPS, Gaussian kernel exp(-d^2 / h) with h the reference's median squared distance; AUROC "
      "over {} clean test points against the attacked ones.\n\n{}\n"
      "Why the data lie near a plane: the first version of this experiment used only the isotropic mixture, with the thresholds "
      "above, and measured AUROC 0.53 for both attacks (EPS and the single score alike: the row 'isotropic'). There the data fill "
      "all 32 dimensions, so an eps-sized step is an ordinary fluctuation of the data and its score; EPS-AD's premise is that natural "
      "data concentrate near a low-dimensional manifold, which a sign-gradient perturbation leaves, and the score across the manifold "
      "is large (its variance there is small). The checks were moved to the manifold mixture with their thresholds unchanged; the "
      "isotropic row stays as the control that shows this dependence.\n\n"
      "Does EPS beat one score? On the manifold mixture at eps {} the single score at t = 1/1000 already separates as well as "
      "EPS: the exact score has no estimation noise, and at t = 1/1000 the diffusion's noise (sigma = {:.3f}) is below the data's "
      "thickness ({}), so the one score sees the off-manifold step undisturbed. AUROC by eps (EPS / single score), the same data:"
      "\n\n{}\nThe paper's single-timestep comparison uses a learned score network, whose error at one noise level EPS may average "
      "out; an exact score has none to average. The row 'manifold, learned score' replaces the exact score by an MLP (32+1 -> 128 -> "
      "128 -> 32, SiLU) trained by denoising score matching on the classifier's {} training points for {} Adam steps, t uniform in "
      "[{}, {}] (two_sample::train_score_network): EPS {:.4f} against the single score's {:.4f} on FGSM.\n\n"
      "What the analog keeps: the statistic, its multi-scale averaging and the MMD test are exactly the paper's, with the diffusion "
      "model replaced by the exact score. What it cannot show: the paper's transfer from FGSM at 1/255 to twelve attacks on CIFAR-10 "
      "and ImageNet, which rests on a pretrained diffusion model and a deep kernel trained on images (descent has the deep kernel, "
      "two_sample::DeepKernel, and its training, not exercised here), and the learned-score variant on small images (run here on the "
      "mixture instead).",
      kComponents, kDimension, kManifold, kComponentStd, kOffManifoldStd, kMeanDistance, kDimension, kComponentStd, kDimension, kComponents, kTrain, kEpsilon, kTest, kEps.steps, kEps.dt, kReference, kTest, table, kEpsilon, kSde.marginal_std(1e-3), kOffManifoldStd, sweep, kTrain, kScoreMatching.steps,
      kScoreMatching.t_min, kScoreMatching.t_max, learned.rows[0].eps_auroc, learned.rows[0].single_auroc);
  return outcome;
}

}  // namespace

Experiment eps_ad_experiment() {
  return {"eps-ad",
          "Zhang, Liu, Du, Li, Han & Liu, Detecting Adversarial Data by Probing Multiple Perturbations Using Expected Perturbation "
          "Score (ICML 2023)",
          "the expected perturbation score over many noise levels, compared by MMD with natural samples' scores, detects adversarial "
          "examples, better than a single noise level",
          {kSdeClosedForm, kEpsExpectation, kMmdFormulas, kDetectsFgsm, kDetectsPgd},
          "about fifteen seconds",
          Budget::full,
          run_eps_ad};
}

}  // namespace descent::repro
