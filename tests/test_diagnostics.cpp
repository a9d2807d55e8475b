// Curvature estimators against exact answers: HVPs against finite differences of gradients, and
// Lanczos, power iteration, Hutchinson and SLQ against the dense Hessian of a small model.
#include <gtest/gtest.h>

#include "descent/batch/per_sample.hpp"
#include "descent/diag/gradient_statistics.hpp"
#include "descent/core/error.hpp"
#include "descent/diag/spectrum.hpp"
#include "descent/optim/torch_optimizers.hpp"

namespace descent::diag {
namespace {

struct Small {
  std::shared_ptr<models::Model> model;
  torch::Tensor x, y;
  Small() {
    torch::manual_seed(5);
    model = models::make_model({"mlp", {6}, "tanh"}, {4}, 3);
    model->to(torch::kFloat64);
    x = torch::randn({30, 4}, torch::kFloat64);
    y = torch::randint(0, 3, {30});
  }
  torch::Tensor gradient_at(const torch::Tensor& flat) {
    torch::Tensor original = parameters();
    set(flat);
    HessianOperator op(*model, x, y, true);
    const torch::Tensor g = op.gradient();
    set(original);
    return g;
  }
  torch::Tensor parameters() {
    std::vector<torch::Tensor> flat;
    for (const auto& p : model->parameters()) flat.push_back(p.detach().reshape(-1).clone());
    return torch::cat(flat);
  }
  void set(const torch::Tensor& flat) {
    torch::NoGradGuard no_grad;
    std::int64_t offset = 0;
    for (auto& p : model->parameters()) {
      p.copy_(flat.slice(0, offset, offset + p.numel()).view(p.sizes()));
      offset += p.numel();
    }
  }
  // The exact Hessian, column by column.
  torch::Tensor dense_hessian() {
    HessianOperator op(*model, x, y, true);
    const std::int64_t n = op.dimension();
    torch::Tensor h = torch::empty({n, n}, torch::kFloat64);
    for (std::int64_t i = 0; i < n; ++i) h.select(1, i).copy_(op.apply(torch::eye(n, torch::kFloat64).select(0, i)));
    return (h + h.t()) / 2;
  }
};

TEST(Hessian, ProductsMatchFiniteDifferencesOfGradients) {
  Small small;
  HessianOperator op(*small.model, small.x, small.y, true);
  const torch::Tensor v = torch::randn({op.dimension()}, torch::kFloat64);
  const torch::Tensor hv = op.apply(v);
  const torch::Tensor theta = small.parameters();
  const double h = 1e-5;
  const torch::Tensor numeric = (small.gradient_at(theta + h * v) - small.gradient_at(theta - h * v)) / (2 * h);
  EXPECT_LT(((hv - numeric).norm() / hv.norm()).item<double>(), 1e-5);
  EXPECT_EQ(op.products(), 1);
}

TEST(Hessian, LanczosAndPowerIterationMatchTheDenseEigenvalues) {
  Small small;
  const torch::Tensor dense = small.dense_hessian();
  const torch::Tensor exact = std::get<0>(torch::linalg::eigh(dense, "L"));  // ascending
  const std::int64_t n = dense.size(0);
  const Operator op = [&](const torch::Tensor& v) { return dense.mv(v); };
  const LanczosResult result = lanczos(op, n, 3, static_cast<int>(n), 1);
  for (int i = 0; i < 3; ++i) {
    const double truth = exact[n - 1 - i].item<double>();
    EXPECT_NEAR(result.eigenvalues[static_cast<std::size_t>(i)], truth, 1e-6 * std::abs(truth)) << i;
  }
  // Through real HVPs, with few iterations, the top eigenvalue converges first.
  Small again;
  HessianOperator hessian(*again.model, again.x, again.y, true);
  const LanczosResult short_run = lanczos(hessian.as_operator(), hessian.dimension(), 1, 30, 2);
  const double top = exact[n - 1].item<double>();
  EXPECT_NEAR(short_run.eigenvalues[0], top, 1e-3 * std::abs(top));
  EXPECT_LE(hessian.products(), 30);
  const auto [power, used] = power_iteration(op, n, 2000, 1e-10, 3);
  // Power iteration finds the eigenvalue of largest magnitude.
  const double largest = std::max(std::abs(exact[0].item<double>()), std::abs(exact[n - 1].item<double>()));
  EXPECT_NEAR(std::abs(power), largest, 1e-5 * largest);
  EXPECT_GT(used, 1);
}

TEST(Hessian, HutchinsonWithinThreeStandardErrorsAndSlqMoments) {
  Small small;
  const torch::Tensor dense = small.dense_hessian();
  const std::int64_t n = dense.size(0);
  const Operator op = [&](const torch::Tensor& v) { return dense.mv(v); };
  const double trace = dense.trace().item<double>();
  const TraceEstimate estimate = hutchinson_trace(op, n, 400, 9);
  EXPECT_LT(std::abs(estimate.mean - trace), 3 * estimate.standard_error) << estimate.mean << " vs " << trace;
  // SLQ: the density's weights sum to one, and its mean times n estimates the trace.
  const SpectralDensity density = spectral_density(op, n, 50, 20, 11);
  double total = 0, mean = 0;
  for (std::size_t j = 0; j < density.nodes.size(); ++j) {
    total += density.weights[j];
    mean += density.weights[j] * density.nodes[j];
  }
  EXPECT_NEAR(total, 1.0, 1e-10);
  EXPECT_NEAR(mean * static_cast<double>(n), trace, 0.15 * std::abs(trace) + 0.1);
}

// The preconditioned sharpness of Adam (Cohen et al., 2022): lambda_max(P^{-1} H) with P from the
// optimizer's second moments after a few steps, against a dense eigendecomposition.
TEST(Hessian, PreconditionedSharpnessMatchesTheDenseEigenvalue) {
  Small small;
  optim::Optimizer adam("adam", {{"lr", 1e-2}}, small.model->named_parameters());
  for (int t = 0; t < 5; ++t) {
    adam.zero_grad();
    torch::nn::functional::cross_entropy(small.model->forward(small.x), small.y).backward();
    adam.step();
  }
  const torch::Tensor v = adam.flat_state("v");
  ASSERT_EQ(v.size(0), HessianOperator(*small.model, small.x, small.y, true).dimension());
  EXPECT_GT(v.min().item<double>(), 0.0);
  const torch::Tensor diagonal = (1 - std::pow(0.9, 5)) * ((v / (1 - std::pow(0.999, 5))).sqrt() + 1e-8);
  const torch::Tensor dense = small.dense_hessian();
  const torch::Tensor scale = diagonal.rsqrt();
  const torch::Tensor symmetric = scale.unsqueeze(1) * dense * scale.unsqueeze(0);
  const double exact = std::get<0>(torch::linalg::eigh(symmetric, "L")).max().item<double>();
  const Operator op = [&](const torch::Tensor& x) { return dense.mv(x); };
  const LanczosResult result = preconditioned_lanczos(op, diagonal, 1, static_cast<int>(dense.size(0)), 4);
  EXPECT_NEAR(result.eigenvalues[0], exact, 1e-6 * std::abs(exact));
  // P^{-1} H has the same spectrum: its top eigenvalue by a general (non-symmetric) solver.
  const torch::Tensor general = dense / diagonal.unsqueeze(1);
  const double via_general = at::real(std::get<0>(torch::linalg::eig(general))).max().item<double>();
  EXPECT_NEAR(via_general, exact, 1e-6 * std::abs(exact));
  EXPECT_THROW(adam.flat_state("v_max"), Error);
  // The optimizer's own preconditioner (from its description) is the one built here.
  EXPECT_TRUE(torch::allclose(*adam.preconditioner(), diagonal, 1e-15, 0));
}

// Adam with amsgrad = true divides by v_max, so its preconditioner must be read from v_max.
// (The probe used to read slot 1, v, for every optimizer but "amsgrad": wrong for adam + amsgrad.)
TEST(Hessian, AmsGradPreconditionerReadsTheRunningMaximum) {
  for (const char* name : {"adam", "adamw"}) {
    Small small;
    optim::Optimizer ams(name, {{"lr", 1e-2}, {"amsgrad", 1}}, small.model->named_parameters());
    for (int t = 0; t < 8; ++t) {
      ams.zero_grad();
      // A shrinking loss scale makes v fall below its running maximum.
      (std::pow(0.3, t) * torch::nn::functional::cross_entropy(small.model->forward(small.x), small.y)).backward();
      ams.step();
    }
    const torch::Tensor v = ams.flat_state("v"), v_max = ams.flat_state("v_max");
    ASSERT_GT((v_max - v).abs().max().item<double>(), 0.0) << "the test needs v != v_max";
    const double t = 8;
    const torch::Tensor expected = (1 - std::pow(0.9, t)) * ((v_max / (1 - std::pow(0.999, t))).sqrt() + 1e-8);
    const auto preconditioner = ams.preconditioner();
    ASSERT_TRUE(preconditioner.has_value()) << name;
    EXPECT_TRUE(torch::allclose(*preconditioner, expected, 1e-15, 0)) << name;
  }
}

TEST(GradientStatistics, CoherenceByHand) {
  EXPECT_DOUBLE_EQ(coherence(batch::statistics_of({{1, 0}, {0, 1}})), 0.5);  // orthogonal: 1/b
  EXPECT_DOUBLE_EQ(coherence(batch::statistics_of({{2, 1}, {2, 1}, {2, 1}})), 1.0);  // all alike
  EXPECT_NEAR(coherence(batch::statistics_of({{1, 0}, {-1, 0}, {1, 0}})), 1.0 / 9.0, 1e-15);
}

// Linear regression y = x.w* + sigma eps with x ~ N(0, I), a linear model (weight w, bias b) and
// per-sample squared error: with delta = w - w*, tr(Sigma) / ||G||^2 has the closed form
//   B = ((d + 2) ||delta||^2 + d b^2 + sigma^2 (d + 1)) / (||delta||^2 + b^2).
TEST(GradientStatistics, NoiseScaleMatchesItsClosedFormOnLinearRegression) {
  const int d = 8, n = 200000;
  const double sigma = 0.5, bias = 0.3;
  torch::manual_seed(7);
  const torch::Tensor w_star = torch::randn({d}, torch::kFloat64) / std::sqrt(d);
  const torch::Tensor x = torch::randn({n, d}, torch::kFloat64);
  const torch::Tensor y = (x.mv(w_star) + sigma * torch::randn({n}, torch::kFloat64)).unsqueeze(1);
  auto model = models::make_model({"linear", {}, "relu"}, {d}, 1);
  model->to(torch::kFloat64);
  const torch::Tensor w = w_star + 0.4 * torch::randn({d}, torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    model->named_parameters()["fc1.weight"].copy_(w.unsqueeze(0));
    model->named_parameters()["fc1.bias"].fill_(bias);
  }
  const double delta2 = (w - w_star).pow(2).sum().item<double>();
  const double expected = ((d + 2) * delta2 + d * bias * bias + sigma * sigma * (d + 1)) / (delta2 + bias * bias);
  const auto statistics = batch::per_sample_statistics(*model, x, y, /*classification=*/false);
  EXPECT_NEAR(noise_scale(statistics), expected, 0.03 * expected);
}

}  // namespace
}  // namespace descent::diag
