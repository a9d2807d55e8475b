// weight-matching: Ito, Yamada & Kumagai, "Analysis of Linear Mode Connectivity via Permutation-
// Based Weight Matching" (ICLR 2025), on Ainsworth et al.'s weight matching (Git Re-Basin, ICLR
// 2023). Abstract: "permutation search ... weight matching (WM) ... does not significantly
// reduce the L2 distance between two models ... [it] aligns the directions of singular vectors
// associated with large singular values across models", which is what makes the linear path
// between them low-loss. Two MLPs (784-512-512-512-10) trained from different seeds on
// Fashion-MNIST; the loss barrier on the straight line between them, before and after matching.
#include <fmt/format.h>

#include "../study_tools.hpp"
#include "descent/core/rng.hpp"
#include "descent/data/splits.hpp"
#include "descent/data/tensors.hpp"
#include "descent/matching/weight_matching.hpp"
#include "descent/models/models.hpp"
#include "descent/repro/experiment.hpp"
#include "descent/experiment_configs.hpp"

namespace descent::repro {
namespace {

using namespace descent::matching;

constexpr std::int64_t kPathPoints = 25, kTop = 10, kFunctionSamples = 1000;
constexpr double kFunctionTolerance = 1e-6, kSingularTolerance = 1e-5, kBarrierRatio = 0.5, kDistanceRatio = 0.8;

const Criterion kSameFunction{"a permuted network computes the same function",
                              fmt::format("in float64, max |logit difference| between B and matched B on {} test images <= {}", kFunctionSamples,
                                          kFunctionTolerance)};
const Criterion kSameSpectrum{"permutations keep every layer's singular values",
                              fmt::format("max relative change of any singular value of any weight <= {}", kSingularTolerance)};
const Criterion kMonotone{"the matching objective never decreases", "sum_l <W_a, P W_b> non-decreasing over the sweeps"};
const Criterion kBarrierFalls{"matching lowers the loss barrier while the distance barely shrinks",
                              fmt::format("test-loss barrier after matching <= {} x before, and ||A - matched B|| / ||A - B|| >= {}", kBarrierRatio,
                                          kDistanceRatio)};
const Criterion kAligns{"matching aligns the leading singular vectors",
                        fmt::format("the top-{} singular-vector alignment, averaged over the weights, is larger after matching", kTop)};

NamedParameters in_double(const NamedParameters& parameters) {
  NamedParameters out;
  for (const auto& [name, tensor] : parameters) out[name] = tensor.to(torch::kFloat64);
  return out;
}

double function_gap(models::Model& probe, const NamedParameters& b, const NamedParameters& matched_b, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  probe.to(torch::kFloat64);
  load_parameters(probe, in_double(b));
  const torch::Tensor before = probe.forward(x.to(torch::kFloat64));
  load_parameters(probe, in_double(matched_b));
  const double gap = (probe.forward(x.to(torch::kFloat64)) - before).abs().max().item<double>();
  probe.to(torch::kFloat32);
  return gap;
}

double singular_value_change(const std::vector<std::string>& weights, const NamedParameters& b, const NamedParameters& matched_b) {
  double largest = 0.0;
  for (const std::string& name : weights) {
    const torch::Tensor before = torch::linalg_svdvals(as_matrix(b.at(name))), after = torch::linalg_svdvals(as_matrix(matched_b.at(name)));
    largest = std::max(largest, ((after - before).abs() / before.max()).max().item<double>());
  }
  return largest;
}

report::BandSeries loss_along(const Barrier& barrier) {
  report::BandSeries series;
  for (const PathPoint& point : barrier.path) series.add(point.lambda, point.loss);
  return series;
}

Outcome run_weight_matching(const Context& context) {
  const study::StudyConfig config = study::parse_study_config(configs::weight_matching, "experiments/weight_matching/study.toml");
  run(config, context);
  const data::Splits splits = data::load_splits(config.data);
  const data::LabeledTensors test = data::as_tensors(splits.test);
  const std::string label = config.optimizers.front().label;
  const auto model_a = load_trained(config.model, splits.train, saved_model(context, config.name, label, 0));
  const auto model_b = load_trained(config.model, splits.train, saved_model(context, config.name, label, 1));
  const PermutationSpec spec = permutation_spec(*model_a);
  const NamedParameters a = named_parameters(*model_a), b = named_parameters(*model_b);

  const WeightMatchingResult matching = weight_matching(spec, a, b, 0);
  const NamedParameters matched_b = apply_permutations(spec, b, matching.permutations);
  Outcome outcome;
  const double gap = function_gap(*model_b, b, matched_b, test.features.slice(0, 0, kFunctionSamples));
  outcome.record(kSameFunction, fmt::format("{:.3g}", gap), gap <= kFunctionTolerance);
  const std::vector<std::string> weights = weight_names(spec, a);
  const double spectrum_change = singular_value_change(weights, b, matched_b);
  outcome.record(kSameSpectrum, fmt::format("{:.3g}", spectrum_change), spectrum_change <= kSingularTolerance);
  const bool monotone = std::is_sorted(matching.objective.begin(), matching.objective.end());
  outcome.record(kMonotone, fmt::format("{} sweeps: {:.2f} -> {:.2f}", matching.sweeps, matching.objective.front(), matching.objective.back()),
                 monotone);

  const auto evaluate = [&](models::Model& model) { return matching::cross_entropy_and_accuracy(model, test); };
  const Barrier naive = linear_path_barrier(*model_a, a, b, kPathPoints, evaluate);
  const Barrier matched = linear_path_barrier(*model_a, a, matched_b, kPathPoints, evaluate);
  const double distance_ratio = distance(a, matched_b) / distance(a, b);
  outcome.record(kBarrierFalls,
                 fmt::format("loss barrier {:.4f} -> {:.4f} (x{:.3f}); distance ratio {:.3f}", naive.loss, matched.loss, matched.loss / naive.loss,
                             distance_ratio),
                 matched.loss <= kBarrierRatio * naive.loss && distance_ratio >= kDistanceRatio);

  std::string table = "| weight | alignment before | after |\n|---|---|---|\n";
  double before = 0.0, after = 0.0;
  for (const std::string& name : weights) {
    const double x = singular_vector_alignment(a.at(name), b.at(name), kTop), y = singular_vector_alignment(a.at(name), matched_b.at(name), kTop);
    table += fmt::format("| {} | {:.4f} | {:.4f} |\n", name, x, y);
    before += x / static_cast<double>(weights.size());
    after += y / static_cast<double>(weights.size());
  }
  outcome.record(kAligns, fmt::format("{:.4f} -> {:.4f}", before, after), after > before);

  report::ChartSpec chart{"test loss on the line (1 - lambda) A + lambda B", "lambda", "test loss", false, {}};
  chart.lines.push_back({"naive (B as trained)", report::series_color(0), loss_along(naive)});
  chart.lines.push_back({"B after weight matching", report::series_color(1), loss_along(matched)});
  outcome.charts.push_back(chart);
  outcome.details_markdown = fmt::format(
      "Models: the study `{}` (two seeds of MLP 784-512-512-512-10, SGD momentum, {} epochs); test accuracy A {:.4f}, B {:.4f}. "
      "Weight matching: matching::weight_matching (git-re-basin's coordinate ascent, a fresh random order per sweep, Jonker-Volgenant "
      "assignments), {} sweeps. Barriers on {} equally spaced lambdas, over the {} test images: loss {:.4f} naive, {:.4f} matched; "
      "accuracy barrier {:.4f} naive, {:.4f} matched. Distances: ||A - B|| = {:.3f}, ||A - matched B|| = {:.3f}.\n\n"
      "Top-{} singular-vector alignment sum_i s_i |u_a,i . u_b,i| |v_a,i . v_b,i| / sum_i s_i (A's singular values; the specs' "
      "form: Ito et al.'s own measure R, read only second-hand, sums over all pairs of singular vectors above a threshold):\n\n{}",
      config.name, config.train.epochs, naive.path.front().accuracy, naive.path.back().accuracy, matching.sweeps, kPathPoints, test.targets.size(0),
      naive.loss, matched.loss, naive.accuracy, matched.accuracy, distance(a, b), distance(a, matched_b), kTop, table);
  return outcome;
}

}  // namespace

Experiment weight_matching_experiment() {
  return {"weight-matching",
          "Ito, Yamada & Kumagai, Analysis of Linear Mode Connectivity via Permutation-Based Weight Matching (ICLR 2025)",
          "weight matching makes the linear path between two independently trained networks low-loss without much reducing their "
          "distance, by aligning the singular vectors that carry the large singular values",
          {kSameFunction, kSameSpectrum, kMonotone, kBarrierFalls, kAligns},
          "about a minute and a half",
          Budget::full,
          run_weight_matching};
}

}  // namespace descent::repro
