// attention-svm: Tarzanagh, Li, Thrampoulidis & Oymak, "Transformers as Support Vector Machines"
// (arXiv 2308.16898). Abstract: "optimizing the attention layer with vanishing regularization,
// parameterized by (K, Q), converges in direction to an SVM solution minimizing the nuclear norm of
// the combined parameter W = KQ^T. Instead, directly parameterizing by W minimizes a Frobenius norm
// objective." Setting of the official notebook (umich-sota/TF-as-SVM, local_converge.ipynb): n = 6
// sequences of T = 8 unit tokens in d = 10, cross-attention queries z_i, a fixed unit head v, labels
// +-1, logistic loss, normalized GD with lr 0.1 for 2000 iterations from PyTorch's default Linear
// init, (K, Q) with each gradient normalized on its own and a ridge of double epsilon; the SVMs are
// built on the tokens the trained model selects (the notebook's `ids`), solved there by cvxpy and
// here by an exact active-set method, projected Gauss-Seidel, and ADMM for the nuclear norm.
// The first run FAILed the W check (median corr 0.95 at 2000 iterations, 0.31 at 20000): the loss
// gradient formed a_t - f as a difference, as PyTorch's softmax backward does, and once attention
// saturates that difference is rounding noise that steers normalized GD. Formed from exact
// differences (icl/attention_svm.cpp) the correlation rises monotonically. The notebook plots only
// its first 1001 of 2000 iterations; whether for this reason is not stated.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "../study_tools.hpp"
#include "descent/core/rng.hpp"
#include "descent/icl/attention_svm.hpp"
#include "descent/repro/experiment.hpp"

namespace descent::repro {
namespace {

using namespace descent::icl;

constexpr int kSequences = 6, kTokens = 8, kDimension = 10, kIterations = 2000, kSeeds = 20;
constexpr int kLongerIterations = 20000;  // a diagnostic W run, reported: is the direction still moving at 2000?
constexpr double kLearningRate = 0.1;
constexpr double kRidge = std::numeric_limits<double>::epsilon();
constexpr double kGradientTolerance = 1e-6, kKktTolerance = 1e-6, kAgreement = 1e-6;
constexpr double kFrobeniusCorrelation = 0.99, kNuclearCorrelation = 0.95, kSoftmaxProbability = 0.99;

const Criterion kGradient{"the loss gradient is right", fmt::format("max |analytic - central difference| <= {:.0e}, W and (K, Q), every seed",
                                                                     kGradientTolerance)};
const Criterion kQp{"the Frobenius SVM is solved",
                    fmt::format("KKT residual <= {:.0e} for the active-set and the Gauss-Seidel solutions, and they agree to {:.0e} "
                                "(relative), every seed",
                                kKktTolerance, kAgreement)};
const Criterion kFrobenius{"W converges in direction to the Frobenius SVM",
                           fmt::format("median over {} seeds of corr(W_{}, W_fro-SVM) >= {}", kSeeds, kIterations, kFrobeniusCorrelation)};
const Criterion kNuclear{"K^T Q converges in direction to the nuclear-norm SVM",
                         fmt::format("median over {} seeds of corr(K^T Q, W_nuc-SVM) >= {} (the specs' proposed level)", kSeeds,
                                     kNuclearCorrelation)};
const Criterion kSelection{"attention selects one token", fmt::format("median over seeds of the mean top softmax probability after {} "
                                                                      "iterations >= {}, both parameterizations",
                                                                      kIterations, kSoftmaxProbability)};

// PyTorch's default nn.Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Eigen::MatrixXd linear_init(Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(kDimension));
  Eigen::MatrixXd m(kDimension, kDimension);
  for (int i = 0; i < m.size(); ++i) m.data()[i] = bound * (2 * rng.uniform() - 1);
  return m;
}

double gradient_error(const AttentionData& data, const Eigen::MatrixXd& w) {
  const Eigen::MatrixXd analytic = attention_loss_gradient(data, w);
  constexpr double h = 1e-6;
  double worst = 0;
  for (int k = 0; k < w.size(); ++k) {
    Eigen::MatrixXd up = w, down = w;
    up.data()[k] += h;
    down.data()[k] -= h;
    worst = std::max(worst, std::abs(analytic.data()[k] - (attention_loss(data, up) - attention_loss(data, down)) / (2 * h)));
  }
  return worst;
}

double top_probability(const AttentionData& data, const Eigen::MatrixXd& w) { return attention_probabilities(data, w).rowwise().maxCoeff().mean(); }

struct SeedResult {
  double gradient_error = 0, kkt = 0, disagreement = 0;
  double frobenius_correlation = 0, nuclear_correlation = 0, kq_frobenius_correlation = 0, w_nuclear_correlation = 0;
  double w_probability = 0, kq_probability = 0;
  int nuclear_rank = 0, frobenius_rank = 0, admm_iterations = 0;
  double longer_correlation = 0;  // W after kLongerIterations vs the Frobenius SVM of its own selection
  std::vector<double> frobenius_path, nuclear_path;  // correlation per iteration
};

int numerical_rank(const Eigen::MatrixXd& m) {
  const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues();
  return static_cast<int>((s.array() > 1e-6 * s(0)).count());
}

SeedResult run_seed(int seed) {
  const AttentionData data = attention_data(kSequences, kTokens, kDimension, static_cast<std::uint64_t>(seed));
  Rng init(1000 + static_cast<std::uint64_t>(seed));
  const Eigen::MatrixXd w0 = linear_init(init), key0 = linear_init(init), query0 = linear_init(init);
  SeedResult r;
  const auto w_path = train_attention_w(data, w0, kLearningRate, kIterations);
  const auto kq_path = train_attention_kq(data, key0, query0, kLearningRate, kIterations, kRidge);
  r.gradient_error = std::max(gradient_error(data, w0), gradient_error(data, key0.transpose() * query0));

  const Eigen::MatrixXd frobenius_constraints = svm_constraints(data, selected_tokens(data, w_path.back()));
  const SvmSolution exact = frobenius_svm(frobenius_constraints, true), iterative = frobenius_svm(frobenius_constraints, false);
  r.kkt = std::max(frobenius_svm_kkt_residual(frobenius_constraints, exact), frobenius_svm_kkt_residual(frobenius_constraints, iterative));
  r.disagreement = (exact.w - iterative.w).norm() / exact.w.norm();
  const Eigen::MatrixXd nuclear_constraints = svm_constraints(data, selected_tokens(data, kq_path.back()));
  const NuclearSvmSolution nuclear_solution = nuclear_svm(nuclear_constraints, kDimension, 1.0, 20000, 1e-8);
  const Eigen::MatrixXd& nuclear = nuclear_solution.w;
  r.admm_iterations = nuclear_solution.iterations;
  const Eigen::MatrixXd frobenius_for_kq = frobenius_svm(nuclear_constraints).w;
  const Eigen::MatrixXd nuclear_for_w = nuclear_svm(frobenius_constraints, kDimension, 1.0, 20000, 1e-8).w;
  const Eigen::MatrixXd longer = train_attention_w(data, w0, kLearningRate, kLongerIterations).back();
  r.longer_correlation = matrix_correlation(longer, frobenius_svm(svm_constraints(data, selected_tokens(data, longer))).w);
  for (int k = 0; k < kIterations; ++k) {
    r.frobenius_path.push_back(matrix_correlation(w_path[k], exact.w));
    r.nuclear_path.push_back(matrix_correlation(kq_path[k], nuclear));
  }
  r.frobenius_correlation = r.frobenius_path.back();
  r.nuclear_correlation = r.nuclear_path.back();
  r.kq_frobenius_correlation = matrix_correlation(kq_path.back(), frobenius_for_kq);
  r.w_nuclear_correlation = matrix_correlation(w_path.back(), nuclear_for_w);
  r.w_probability = top_probability(data, w_path.back());
  r.kq_probability = top_probability(data, kq_path.back());
  r.nuclear_rank = numerical_rank(nuclear);
  r.frobenius_rank = numerical_rank(exact.w);
  return r;
}

report::BandSeries median_path(const std::vector<SeedResult>& results, std::vector<double> SeedResult::*path) {
  report::BandSeries band;
  for (int k = 0; k < kIterations; k += 10) {
    std::vector<double> values;
    for (const auto& r : results) values.push_back((r.*path)[static_cast<std::size_t>(k)]);
    band.add_spread(k, values);
  }
  return band;
}

Outcome run_attention_svm(const Context&) {
  std::vector<SeedResult> results;
  for (int seed = 0; seed < kSeeds; ++seed) results.push_back(run_seed(seed));
  const auto collect = [&](double SeedResult::*field) {
    std::vector<double> values;
    for (const auto& r : results) values.push_back(r.*field);
    return values;
  };
  const auto worst = [&](double SeedResult::*field) {
    const auto values = collect(field);
    return *std::max_element(values.begin(), values.end());
  };
  const auto least = [&](double SeedResult::*field) {
    const auto values = collect(field);
    return *std::min_element(values.begin(), values.end());
  };
  Outcome outcome;
  outcome.record(kGradient, fmt::format("largest error {:.2e}", worst(&SeedResult::gradient_error)),
                 worst(&SeedResult::gradient_error) <= kGradientTolerance);
  outcome.record(kQp, fmt::format("largest KKT residual {:.2e}; largest disagreement {:.2e}", worst(&SeedResult::kkt), worst(&SeedResult::disagreement)),
                 worst(&SeedResult::kkt) <= kKktTolerance && worst(&SeedResult::disagreement) <= kAgreement);
  const double frobenius = median(collect(&SeedResult::frobenius_correlation)), nuclear = median(collect(&SeedResult::nuclear_correlation));
  outcome.record(kFrobenius, fmt::format("median {:.5f} (min {:.5f}); corr with the nuclear-norm SVM instead: median {:.5f}", frobenius,
                                         least(&SeedResult::frobenius_correlation), median(collect(&SeedResult::w_nuclear_correlation))),
                 frobenius >= kFrobeniusCorrelation);
  outcome.record(kNuclear, fmt::format("median {:.5f}; corr with the Frobenius SVM instead: median {:.5f}", nuclear,
                                       median(collect(&SeedResult::kq_frobenius_correlation))),
                 nuclear >= kNuclearCorrelation);
  const double w_probability = median(collect(&SeedResult::w_probability)), kq_probability = median(collect(&SeedResult::kq_probability));
  outcome.record(kSelection, fmt::format("W {:.5f}, (K, Q) {:.5f}", w_probability, kq_probability),
                 w_probability >= kSoftmaxProbability && kq_probability >= kSoftmaxProbability);

  report::ChartSpec chart{"Correlation with the attention SVM along training (median and quartiles over seeds)", "iteration", "correlation",
                          false, {}};
  chart.lines.push_back({"W vs Frobenius SVM", report::series_color(0), median_path(results, &SeedResult::frobenius_path)});
  chart.lines.push_back({"K^T Q vs nuclear-norm SVM", report::series_color(1), median_path(results, &SeedResult::nuclear_path)});
  outcome.charts.push_back(chart);
  std::string checkpoints;
  for (const int k : {100, 250, 500, 1000, 2000}) {
    std::vector<double> w_values, kq_values;
    for (const auto& r : results) {
      w_values.push_back(r.frobenius_path[static_cast<std::size_t>(k - 1)]);
      kq_values.push_back(r.nuclear_path[static_cast<std::size_t>(k - 1)]);
    }
    checkpoints += fmt::format("| {} | {:.5f} | {:.5f} |\n", k, median(w_values), median(kq_values));
  }
  checkpoints += fmt::format("| {} (W only, against the SVM of its own selection) | {:.5f} | |\n", kLongerIterations,
                             median(collect(&SeedResult::longer_correlation)));
  std::string table = fmt::format("| seed | corr(W, W_fro) | same after {} iterations | corr(KQ, W_nuc) | corr(KQ, W_fro) | rank W_fro / W_nuc | "
                                  "ADMM iterations | top softmax p (W, KQ) |\n|---|---|---|---|---|---|---|---|\n",
                                  kLongerIterations);
  for (int seed = 0; seed < kSeeds; ++seed) {
    const auto& r = results[static_cast<std::size_t>(seed)];
    table += fmt::format("| {} | {:.5f} | {:.5f} | {:.5f} | {:.5f} | {} / {} | {} | {:.5f}, {:.5f} |\n", seed, r.frobenius_correlation,
                         r.longer_correlation, r.nuclear_correlation, r.kq_frobenius_correlation, r.frobenius_rank, r.nuclear_rank,
                         r.admm_iterations, r.w_probability, r.kq_probability);
  }
  outcome.details_markdown = fmt::format(
      "n = {}, T = {}, d = {}; normalized GD (descent's `normalized_gd`), lr {}, {} iterations; (K, Q) with ridge {:.1e}. Each "
      "SVM is built on the tokens its model selects at the end. The nuclear-norm SVM by ADMM (rho 1, singular-value "
      "thresholding, projection by the active-set QP); the Frobenius SVM by the active-set method, checked by Gauss-Seidel. "
      "The loss gradient forms a_t - f as sum_s p_s (a_t - a_s): formed as a difference (PyTorch's softmax backward), it is "
      "rounding noise once the top token's probability is within 1e-16 of 1, and that noise steered W away from the SVM "
      "(median corr 0.95 at 2000 iterations, 0.31 at 20000, in this experiment's first run). "
      "The paper reports nuclear-norm solutions of low rank (svm_rank.ipynb): the ranks are in the table.\n\n"
      "Median correlation by iteration:\n\n| iteration | corr(W, W_fro) | corr(KQ, W_nuc) |\n|---|---|---|\n{}\n{}",
      kSequences, kTokens, kDimension, kLearningRate, kIterations, kRidge, checkpoints, table);
  return outcome;
}

}  // namespace

Experiment attention_svm_experiment() {
  return {"attention-svm",
          "Tarzanagh, Li, Thrampoulidis & Oymak, Transformers as Support Vector Machines (arXiv 2308.16898)",
          "gradient descent on one attention layer converges in direction to a max-margin token-separating SVM: the Frobenius-norm "
          "SVM when parameterized by W, the nuclear-norm SVM when parameterized by (K, Q); attention ends up selecting one token",
          {kGradient, kQp, kFrobenius, kNuclear, kSelection},
          "a few seconds",
          Budget::fast,
          run_attention_svm};
}

}  // namespace descent::repro
