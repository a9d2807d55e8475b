// wide-deep-optimality: Radhakrishnan, Belkin & Uhler, "Wide and Deep Neural Networks Achieve
// Consistency for Classification" (PNAS 2023; arXiv 2204.14126). Abstract: as depth grows, the
// infinitely wide network's classifier becomes "(1) 1-nearest neighbor ... (2) majority vote ... or
// (3) singular kernel classifiers (a set of classifiers containing those that achieve
// optimality)", depending on the activation. Here: the depth-L kernel's ridgeless classifier
// against the rule its dual activation predicts (kernels/infinite_depth.hpp), on the reference
// code's two-class Dirichlet data on the sphere, with its activations (uhlerlab/inf_depth_ntks).
#include <fmt/format.h>

#include <cmath>

#include "descent/data/synthetic.hpp"
#include "descent/kernels/infinite_depth.hpp"
#include "descent/kernels/kernel_regression.hpp"
#include "descent/repro/experiment.hpp"

namespace descent::repro {
namespace {

constexpr double kAgreement = 0.99;
constexpr std::int64_t kDepth = 500, kReluDepth = 1000, kTrain = 500, kTest = 1000, kReluTrain = 100;
// ReLU's approach to majority vote, on the first kReluTrendTest test points: the reference code
// notes that it needs depth 50000 with 100 training points.
const std::vector<std::int64_t> kReluTrendDepths = {10, 100, 1000, 10000, 50000};
constexpr std::int64_t kReluTrendTest = 200;

// The reference code's data sets (dataset.py): the 2-d pair is its active setting, the 3-d pair
// one of its commented alternatives.
const data::DirichletSphereOptions kPlane{kTrain, kTest, {1.0, 2.0}, {2.0, 1.0}, 0.4};
const data::DirichletSphereOptions kSpace{kTrain, kTest, {0.5, 0.5, 2.5}, {2.5, 0.1, 0.5}, 0.4};

struct Case {
  std::string activation;  // a kernels::normalized_dual name
  const data::DirichletSphereOptions* data;
  std::int64_t depth;
  bool ntk;  // the reference code runs the NNGP, and the NTK for ReLU
  std::int64_t train_size;
};

const Case kCases[] = {{"2d_opt", &kPlane, kDepth, false, kTrain},
                       {"3d_opt", &kSpace, kDepth, false, kTrain},
                       {"sine_2.676", &kSpace, kDepth, false, kTrain},
                       {"hermite_2", &kSpace, kDepth, false, kTrain},
                       {"relu", &kSpace, kReluDepth, true, kReluTrain}};

std::string limit_name(const kernels::DeepLimitRule& rule) {
  switch (rule.limit) {
    case kernels::DeepLimit::majority_vote: return "majority vote";
    case kernels::DeepLimit::nearest_neighbour: return "1-nearest neighbour";
    case kernels::DeepLimit::singular_kernel: return fmt::format("the singular kernel of exponent {:.3g}", rule.exponent);
    case kernels::DeepLimit::none: break;
  }
  return "no rule";
}

Criterion criterion(const Case& c) {
  const kernels::DeepLimitRule rule = kernels::deep_limit(kernels::normalized_dual(c.activation));
  return {fmt::format("{} ({}-d data): the depth-{} {} classifier tends to {}", c.activation, c.data->class1.size(), c.depth,
                      c.ntk ? "NTK" : "NNGP", limit_name(rule)),
          fmt::format("agrees with it on >= {:.0f}% of {} test points ({} training points)", 100 * kAgreement, kTest, c.train_size)};
}

struct Points {
  std::vector<double> train, labels, test, test_labels;
  std::int64_t dimension = 0;
};

// Features in double, scaled back to unit length (they are stored as float).
std::vector<double> unit_rows(const data::Dataset& part) {
  const std::int64_t d = part.sample_size();
  std::vector<double> out(part.features.begin(), part.features.end());
  for (std::int64_t i = 0; i < part.size(); ++i) {
    double norm = 0.0;
    for (std::int64_t k = 0; k < d; ++k) norm += out[i * d + k] * out[i * d + k];
    for (std::int64_t k = 0; k < d; ++k) out[i * d + k] /= std::sqrt(norm);
  }
  return out;
}

std::vector<double> signed_labels(const data::Dataset& part) {
  std::vector<double> out;
  for (const std::int64_t label : part.labels) out.push_back(label == 1 ? 1.0 : -1.0);
  return out;
}

Points points(const Case& c) {
  data::DirichletSphereOptions options = *c.data;
  options.train_size = c.train_size;
  const data::Splits splits = data::dirichlet_sphere(options, 1717);  // the reference code's seed
  return {unit_rows(splits.train), signed_labels(splits.train), unit_rows(splits.test), signed_labels(splits.test),
          splits.train.sample_size()};
}

// sign(y^T K(X, X)^-1 K(X, x)) with the depth-L kernel; polynomial duals whose correlations
// underflow (psi'(0) = 0) through log_deep_nngp, each test row scaled by its largest entry.
std::vector<double> deep_classifier(const Case& c, const kernels::NormalizedDual& dual, const Points& p) {
  if (c.ntk || dual.derivative(0.0) > 0.0) {
    const kernels::DeepKernels train = kernels::deep_kernels(dual, p.train, p.train, p.dimension, c.depth);
    const kernels::DeepKernels test = kernels::deep_kernels(dual, p.test, p.train, p.dimension, c.depth);
    return c.ntk ? kernels::ridgeless_kernel_classifier(train.ntk, p.labels, test.ntk)
                 : kernels::ridgeless_kernel_classifier(train.nngp, p.labels, test.nngp);
  }
  const auto log_gram = [&](const std::vector<double>& rows, bool same) {
    const kernels::DeepKernels correlations = kernels::deep_kernels(dual, rows, p.train, p.dimension, 0);
    std::vector<double> logs = kernels::log_deep_nngp(dual, correlations.nngp, c.depth);
    const std::size_t n = p.labels.size(), m = logs.size() / n;
    for (std::size_t i = 0; i < m; ++i) {
      double largest = -INFINITY;
      for (std::size_t j = 0; j < n; ++j) largest = std::max(largest, logs[i * n + j]);
      for (std::size_t j = 0; j < n; ++j) logs[i * n + j] = same ? std::exp(logs[i * n + j]) : std::exp(logs[i * n + j] - largest);
    }
    return logs;
  };
  return kernels::ridgeless_kernel_classifier(log_gram(p.train, true), p.labels, log_gram(p.test, false));
}

std::vector<double> limit_classifier(const kernels::DeepLimitRule& rule, const Points& p) {
  switch (rule.limit) {
    case kernels::DeepLimit::majority_vote: return kernels::majority_vote(p.labels, static_cast<std::int64_t>(p.test_labels.size()));
    case kernels::DeepLimit::nearest_neighbour: return kernels::nearest_neighbour_classifier(p.train, p.labels, p.test, p.dimension);
    case kernels::DeepLimit::singular_kernel: return kernels::singular_kernel_classifier(p.train, p.labels, p.test, p.dimension, rule.exponent);
    case kernels::DeepLimit::none: break;
  }
  return {};
}

double fraction_equal(const std::vector<double>& a, const std::vector<double>& b) {
  std::size_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return static_cast<double>(same) / static_cast<double>(a.size());
}

// The ReLU case's agreement with majority vote and its test accuracy at each depth of the trend.
std::string relu_trend() {
  const Case& relu = kCases[std::size(kCases) - 1];
  Points p = points(relu);
  p.test.resize(static_cast<std::size_t>(kReluTrendTest * p.dimension));
  p.test_labels.resize(static_cast<std::size_t>(kReluTrendTest));
  const kernels::NormalizedDual dual = kernels::normalized_dual(relu.activation);
  const std::vector<double> vote = kernels::majority_vote(p.labels, kReluTrendTest);
  std::string md = fmt::format("ReLU's NTK classifier against majority vote by depth ({} training, {} test points):\n\n"
                               "| depth | agreement with majority vote | test accuracy |\n|---|---|---|\n",
                               relu.train_size, kReluTrendTest);
  for (const std::int64_t depth : kReluTrendDepths) {
    Case deeper = relu;
    deeper.depth = depth;
    const std::vector<double> deep = deep_classifier(deeper, dual, p);
    md += fmt::format("| {} | {:.3f} | {:.3f} |\n", depth, fraction_equal(deep, vote), fraction_equal(deep, p.test_labels));
  }
  return md + "\n";
}

Outcome run_wide_deep(const Context&) {
  Outcome outcome;
  std::string md = "| activation | psi'(0) | psi'(1) | predicted limit | data | depth | agreement | accuracy: deep kernel | limit rule | 1-NN | Hilbert (alpha = d - 1) |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Case& c : kCases) {
    const kernels::NormalizedDual dual = kernels::normalized_dual(c.activation);
    const kernels::DeepLimitRule rule = kernels::deep_limit(dual);
    const Points p = points(c);
    const std::vector<double> deep = deep_classifier(c, dual, p), limit = limit_classifier(rule, p);
    const std::vector<double> nearest = kernels::nearest_neighbour_classifier(p.train, p.labels, p.test, p.dimension);
    const std::vector<double> hilbert = kernels::singular_kernel_classifier(p.train, p.labels, p.test, p.dimension, static_cast<double>(p.dimension - 1));
    const double agreement = limit.empty() ? 0.0 : fraction_equal(deep, limit);
    md += fmt::format("| {} | {:.4g} | {:.4g} | {} | {}-d | {} {} | {:.4f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} |\n", c.activation,
                      dual.derivative(0.0), dual.derivative(1.0), limit_name(rule), p.dimension, c.ntk ? "NTK" : "NNGP",
                      c.depth, agreement, fraction_equal(deep, p.test_labels), limit.empty() ? 0.0 : fraction_equal(limit, p.test_labels),
                      fraction_equal(nearest, p.test_labels), fraction_equal(hilbert, p.test_labels));
    outcome.record(criterion(c), fmt::format("{:.2f}% of test points agree", 100 * agreement), agreement >= kAgreement);
  }
  outcome.details_markdown = fmt::format(
      "Data: data::dirichlet_sphere with the reference "
      "code's concentrations and class-1 prior 0.4, seed 1717, {} test points. Exponent alpha = 2 ln(1/psi'(0)) / ln psi'(1).\n\n{}\n{}"
      "What was confirmed, and how: the paper's body could not be read here, only its abstract (quoted in the source). The "
      "activations, their normalized duals, the data, the NNGP/NTK recursions, the depths and the three limiting rules are read "
      "from the official code (uhlerlab/inf_depth_ntks, models.py, dataset.py, main.py). The code pairs 2d_opt with 2-d data, "
      "3d_opt and sine_2.676 with 3-d data, and its Hilbert-type classifier uses the exponent d - 1 ('Dimension corrected by "
      "subtracting 1'); the exponent formula above gives exactly those pairings (1, 2, 2.00), which is how the conditions in "
      "kernels/infinite_depth.hpp were checked; the paper's own statement of them was not.\n\n"
      "ReLU approaches its limit slowly: psi'(1) = 1, so correlations creep towards 1 (1 - rho falls like 1/L^2) instead of "
      "separating geometrically; the reference code itself notes that 100 training points need depth 50000 to reach majority "
      "vote (main.py). The criterion was stated at the issue's depth 1000; the trend above is the measurement of how deep it "
      "has to go.",
      kTest, md, relu_trend());
  return outcome;
}

}  // namespace

Experiment wide_deep_optimality_experiment() {
  std::vector<Criterion> criteria;
  for (const Case& c : kCases) criteria.push_back(criterion(c));
  return {"wide-deep-optimality",
          "Radhakrishnan, Belkin & Uhler, Wide and Deep Neural Networks Achieve Consistency for Classification (PNAS 2023)",
          "as depth grows, infinitely wide networks classify by 1-nearest neighbour, majority vote or a singular kernel, "
          "according to the activation; the singular kernel with exponent d - 1 is the consistent Hilbert estimate",
          criteria,
          "about 2 minutes (most of it ReLU's depth trend to 50000)",
          Budget::full,
          run_wide_deep};
}

}  // namespace descent::repro
