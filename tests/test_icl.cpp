// In-context learning machinery: the attention constructions against the algorithms they claim to
// run, Iterative Newton's error squaring, the one-step-optimal closed forms against the specs'
// reference values and Monte Carlo, and the fitted preconditioner.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/core/rng.hpp"
#include "descent/icl/attention_svm.hpp"
#include "descent/icl/in_context_transformer.hpp"
#include "descent/icl/linear_self_attention.hpp"
#include "descent/icl/one_step_optimal.hpp"
#include "descent/icl/prefix_regression.hpp"
#include "descent/icl/reference_algorithms.hpp"
#include "descent/icl/tasks.hpp"
#include "descent/icl/training.hpp"

namespace descent::icl {
namespace {

Prompts draw(const TaskOptions& options, std::int64_t batch, std::uint64_t seed) {
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  return sample_prompts(options, batch, generator);
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }
double relative_difference(const torch::Tensor& a, const torch::Tensor& b) { return max_difference(a, b) / b.abs().max().item<double>(); }

TEST(Icl, PromptsHaveTheirShapesAndResponses) {
  const TaskOptions options{.dimension = 3, .context = 7, .noise = 0.0};
  const Prompts p = draw(options, 5, 1);
  EXPECT_EQ(p.x.sizes(), (std::vector<std::int64_t>{5, 7, 3}));
  EXPECT_LT(max_difference(p.y, torch::matmul(p.x, p.weights.unsqueeze(2)).squeeze(2)), 1e-14);
  EXPECT_LT(max_difference(p.target, (p.query * p.weights).sum(1)), 1e-14);
  const torch::Tensor t = tokens(p);
  EXPECT_EQ(t.sizes(), (std::vector<std::int64_t>{5, 8, 4}));
  EXPECT_EQ(t.select(1, 7).select(1, 3).abs().max().item<double>(), 0.0);  // the query's y slot is empty
  const TaskOptions uniform{.dimension = 4, .context = 50, .inputs = InputDistribution::uniform, .uniform_range = 1.0};
  const Prompts u = draw(uniform, 100, 2);
  EXPECT_LE(u.x.abs().max().item<double>(), 0.5);
}

TEST(Icl, IllConditionedInputsHaveTheStatedSpectrum) {
  const std::vector<double> spectrum = condition_spectrum(5, 100.0);
  double sum = 0;
  for (const double v : spectrum) sum += v;
  EXPECT_NEAR(sum, 5.0, 1e-12);
  EXPECT_NEAR(spectrum.front() / spectrum.back(), 100.0, 1e-9);
  // One prompt with a very long context: its sample covariance's eigenvalues approach the spectrum.
  const TaskOptions options{.dimension = 5, .context = 200000, .condition_number = 100.0};
  const Prompts p = draw(options, 1, 3);
  const torch::Tensor sample = torch::matmul(p.x[0].t(), p.x[0]) / 200000.0;
  const torch::Tensor eigenvalues = std::get<0>(torch::linalg::eigh(sample, "L")).flip(0);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(eigenvalues[i].item<double>() / spectrum[i], 1.0, 0.03) << i;
}

// The layer's hand-written attention kernel against the same layer written with LibTorch ops
// (e_j + (1/n) P sum_i (W_V e_i)(W_K e_i)^T (W_Q e_j)), in value and in every weight's gradient.
TEST(Icl, AttentionKernelMatchesAutogradOfTheDefinition) {
  const TaskOptions options{.dimension = 4, .context = 6};
  const Prompts p = draw(options, 9, 15);
  torch::Generator generator = at::detail::createCPUGenerator(16);
  LinearSelfAttention model(4, 2, 0.5, generator);
  const torch::Tensor probe = torch::randn({9, 7, 5}, generator, torch::kFloat64);
  const auto definition = [&](torch::Tensor e) {
    for (const auto& layer : model.layers) {
      const torch::Tensor context = e.slice(1, 0, 6);
      const torch::Tensor scores = torch::matmul(torch::matmul(e, layer->query.t()), torch::matmul(context, layer->key.t()).transpose(1, 2));
      e = e + torch::matmul(torch::matmul(scores, torch::matmul(context, layer->value.t())) / 6.0, layer->projection.t());
    }
    return e;
  };
  const torch::Tensor by_kernel = model.forward(tokens(p)), by_definition = definition(tokens(p));
  EXPECT_LT(relative_difference(by_kernel, by_definition), 1e-14);
  const auto parameters = model.parameters();
  const auto kernel_grads = torch::autograd::grad({(by_kernel * probe).sum()}, parameters);
  const auto definition_grads = torch::autograd::grad({(by_definition * probe).sum()}, parameters);
  for (std::size_t i = 0; i < parameters.size(); ++i) EXPECT_LT(relative_difference(kernel_grads[i], definition_grads[i]), 1e-13) << i;
}

// von Oswald et al.'s acceptance (a): the constructed weights compute the GD prediction to 1e-6 on
// 1000 tasks (here to 1e-12: float64).
TEST(Icl, ConstructedAttentionIsOneGradientDescentStep) {
  const TaskOptions options{.dimension = 10, .context = 10, .inputs = InputDistribution::uniform};
  const Prompts p = draw(options, 1000, 4);
  torch::Generator generator = at::detail::createCPUGenerator(5);
  LinearSelfAttention model(10, 1, 0.002, generator);
  construct_gradient_descent(model, {0.7}, {0.0});
  const torch::Tensor gd = gradient_descent_predictions(p, 0.7, 1)[0];
  EXPECT_LT(max_difference(model.predict(p), gd), 1e-12);
  // One GD step from 0 predicts eta query.h: its query sensitivity is eta h.
  const torch::Tensor sensitivity = query_sensitivity([&](const Prompts& q) { return model.predict(q); }, p);
  EXPECT_LT(max_difference(sensitivity, 0.7 * context_correlation(p)), 1e-12);
}

TEST(Icl, LayersOfConstructedAttentionAreStepsOfGdAndGdPlusPlus) {
  const TaskOptions options{.dimension = 4, .context = 12, .noise = 0.1};
  const Prompts p = draw(options, 200, 6);
  torch::Generator generator = at::detail::createCPUGenerator(7);
  LinearSelfAttention model(4, 3, 0.002, generator);
  construct_gradient_descent(model, {0.3, 0.3, 0.3}, {0.0, 0.0, 0.0});
  EXPECT_LT(max_difference(model.predictions_per_layer(p), gradient_descent_predictions(p, 0.3, 3)), 1e-12);
  construct_gradient_descent(model, {0.3, 0.3, 0.3}, {0.05, 0.05, 0.05});
  const torch::Tensor plus_plus = gd_plus_plus_predictions(p, 0.3, 0.05, 3);
  EXPECT_LT(max_difference(model.predictions_per_layer(p), plus_plus), 1e-12);
  // GD++ with gamma = 0 is GD; with gamma != 0 it is not.
  EXPECT_LT(max_difference(gd_plus_plus_predictions(p, 0.3, 0.0, 3), gradient_descent_predictions(p, 0.3, 3)), 1e-12);
  EXPECT_GT(max_difference(plus_plus[2], gradient_descent_predictions(p, 0.3, 3)[2]), 1e-3);
}

// Fu et al.'s acceptance 1: ||I - S M_k||_2 <= ||I - S M_0||_2^(2^k), and w_k -> OLS.
TEST(Icl, IterativeNewtonSquaresItsErrorAndReachesLeastSquares) {
  const TaskOptions options{.dimension = 5, .context = 20};
  const Prompts p = draw(options, 50, 8);
  const auto inverses = newton_inverses(p, 8);
  const torch::Tensor s = torch::matmul(p.x.transpose(1, 2), p.x);
  const torch::Tensor identity = torch::eye(5, torch::kFloat64);
  const torch::Tensor initial = torch::linalg::matrix_norm(identity - torch::matmul(s, inverses[0]), 2, {-2, -1}, false, c10::nullopt);
  EXPECT_LT(initial.max().item<double>(), 1.0);
  for (std::size_t k = 1; k < inverses.size(); ++k) {
    const torch::Tensor error = torch::linalg::matrix_norm(identity - torch::matmul(s, inverses[k]), 2, {-2, -1}, false, c10::nullopt);
    const torch::Tensor bound = initial.pow(std::pow(2.0, static_cast<double>(k)));
    EXPECT_TRUE((error <= bound * (1 + 1e-9) + 1e-13).all().item<bool>()) << k;
  }
  const torch::Tensor newton = newton_predictions(p, 40);
  EXPECT_LT(max_difference(newton[40], least_squares_predictions(p)), 1e-9);
  // Noiseless with n > d, least squares recovers w exactly.
  EXPECT_LT(max_difference(least_squares_predictions(p), p.target), 1e-9);
}

// Mahankali et al.: the specs' reference values (n, d, sigma^2) -> (eta*, L(eta*)).
TEST(Icl, OneStepOptimumMatchesTheReferenceValues) {
  struct Case {
    std::int64_t n, d;
    double noise_variance, eta, loss;
  };
  for (const Case c : {Case{20, 5, 0.01, 0.768935, 1.165325}, Case{10, 10, 0.0, 0.476190, 5.238095}, Case{40, 8, 0.25, 0.812183, 1.752538}}) {
    const double eta = optimal_step(c.n, c.d, c.noise_variance);
    EXPECT_NEAR(eta, c.eta, 5e-7);
    const std::vector<double> identity(static_cast<std::size_t>(c.d), 1.0);
    EXPECT_NEAR(one_step_loss(eta * torch::eye(c.d, torch::kFloat64), identity, c.n, c.noise_variance), c.loss, 5e-7);
    EXPECT_LT(max_difference(optimal_preconditioner(identity, c.n, c.noise_variance), eta * torch::eye(c.d, torch::kFloat64)), 1e-12);
    // The isotropic loss formula d [eta^2 (n + d + 1 + s^2) / n - 2 eta + 1] + s^2, at another eta.
    const double e = 0.3, n = static_cast<double>(c.n), d = static_cast<double>(c.d);
    EXPECT_NEAR(one_step_loss(e * torch::eye(c.d, torch::kFloat64), identity, c.n, c.noise_variance),
                d * (e * e * (n + d + 1 + c.noise_variance) / n - 2 * e + 1) + c.noise_variance, 1e-12);
  }
}

// L(Gamma) and Gamma* for a non-isotropic covariance against Monte Carlo over 400k prompts.
TEST(Icl, OneStepLossAgreesWithMonteCarloAndGammaStarMinimizesIt) {
  const std::vector<double> diagonal = {1.0, 4.0, 0.25, 1.0};
  const double noise = 0.5;
  const TaskOptions options{.dimension = 4, .context = 15, .covariance_diagonal = diagonal, .noise = noise};
  const Prompts p = draw(options, 400000, 9);
  const torch::Tensor h = context_correlation(p);
  const torch::Tensor best = optimal_preconditioner(diagonal, 15, noise * noise);
  for (const torch::Tensor& gamma : {best, 0.5 * torch::eye(4, torch::kFloat64), best * 1.2}) {
    const torch::Tensor errors = ((p.query * torch::matmul(h, gamma.t())).sum(1) - p.target).square();
    const double monte_carlo = errors.mean().item<double>(), standard_error = errors.std().item<double>() / std::sqrt(400000.0);
    EXPECT_NEAR(one_step_loss(gamma, diagonal, 15, noise * noise), monte_carlo, 4 * standard_error);
  }
  const double at_best = one_step_loss(best, diagonal, 15, noise * noise);
  torch::Generator generator = at::detail::createCPUGenerator(10);
  for (int trial = 0; trial < 20; ++trial) {
    const torch::Tensor nudge = 0.01 * torch::randn({4, 4}, generator, torch::kFloat64);
    EXPECT_GT(one_step_loss(best + nudge, diagonal, 15, noise * noise), at_best);
  }
}

TEST(Icl, FittedPreconditionerRecoversTheOneThatMadeThePredictions) {
  const TaskOptions options{.dimension = 3, .context = 9};
  const Prompts p = draw(options, 500, 11);
  torch::Generator generator = at::detail::createCPUGenerator(12);
  const torch::Tensor gamma = torch::randn({3, 3}, generator, torch::kFloat64);
  const torch::Tensor predictions = (p.query * torch::matmul(context_correlation(p), gamma.t())).sum(1);
  EXPECT_LT(max_difference(fit_preconditioner(p, predictions), gamma), 1e-10);
}

TEST(Icl, LineSearchFindsTheOneStepClosedForm) {
  const TaskOptions options{.dimension = 5, .context = 10};
  const Prompts p = draw(options, 2000, 13);
  // One step predicts eta g with g = query.h: the best eta is sum g t / sum g^2.
  const torch::Tensor g = (p.query * context_correlation(p)).sum(1);
  const double closed = ((g * p.target).sum() / g.square().sum()).item<double>();
  const double searched = minimize_on_interval(
      [&](double eta) { return mean_squared_error(gradient_descent_predictions(p, eta, 1)[0], p.target); }, 1e-3, 10.0);
  EXPECT_NEAR(searched, closed, 1e-8 * closed);
}

TEST(Icl, TrainingIsDeterministicAndLowersTheLoss) {
  const TaskOptions options{.dimension = 3, .context = 10};
  const InContextTraining training{.hyperparameters = {{"lr", 1e-2}}, .steps = 200, .batch = 64, .seed = 3};
  std::vector<std::vector<double>> runs;
  for (int repeat = 0; repeat < 2; ++repeat) {
    torch::Generator generator = at::detail::createCPUGenerator(14);
    LinearSelfAttention model(3, 1, 0.05, generator);
    runs.push_back(train_in_context(model, options, training));
  }
  EXPECT_EQ(runs[0], runs[1]);
  double first = 0, last = 0;
  for (int i = 0; i < 20; ++i) first += runs[0][i], last += runs[0][runs[0].size() - 1 - i];
  EXPECT_LT(last, 0.7 * first);
}

// The first `count` points of each sequence as context, point `count` as the query.
Prompts prefix_prompts(const PointSequence& sequence, std::int64_t count) {
  return {sequence.x.narrow(1, 0, count), sequence.y.narrow(1, 0, count), sequence.x.select(1, count), sequence.y.select(1, count), {}};
}

// Position i of the prefix form is the query-form algorithm run on the i points before it.
TEST(Icl, PrefixAlgorithmsSolveEachPrefixOnItsOwn) {
  const TaskOptions options{.dimension = 4, .context = 11, .noise = 0.3};
  const PointSequence sequence = point_sequence(draw(options, 6, 21));
  const PrefixSystems systems = prefix_systems(sequence);
  const torch::Tensor newton = newton_prefix_predictions(systems, 6);
  const torch::Tensor gd = gradient_descent_prefix_predictions(systems, 0.01, {1, 7, 300});
  const torch::Tensor ols = least_squares_prefix_predictions(systems);
  EXPECT_EQ(newton.sizes(), (std::vector<std::int64_t>{7, 6, 12}));
  EXPECT_EQ(gd.sizes(), (std::vector<std::int64_t>{3, 6, 12}));
  // Nothing before the first point: every algorithm predicts 0 there.
  EXPECT_EQ(newton.select(2, 0).abs().max().item<double>(), 0.0);
  EXPECT_EQ(gd.select(2, 0).abs().max().item<double>(), 0.0);
  EXPECT_EQ(ols.select(1, 0).abs().max().item<double>(), 0.0);
  for (const std::int64_t i : {1, 3, 4, 8, 11}) {  // fewer, as many and more points than d
    const Prompts p = prefix_prompts(sequence, i);
    EXPECT_LT(max_difference(newton.select(2, i), newton_predictions(p, 6)), 1e-10) << i;
    EXPECT_LT(max_difference(ols.select(1, i), least_squares_predictions(p)), 1e-9) << i;
    // Their GD: w <- w - eta (X^T X w - X^T y) from 0, iterated.
    const torch::Tensor s = torch::matmul(p.x.transpose(1, 2), p.x), b = torch::matmul(p.x.transpose(1, 2), p.y.unsqueeze(2));
    torch::Tensor w = torch::zeros_like(b);
    for (int k = 1; k <= 300; ++k) {
      w = w - 0.01 * (torch::matmul(s, w) - b);
      const int row = k == 1 ? 0 : k == 7 ? 1 : k == 300 ? 2 : -1;
      if (row >= 0) EXPECT_LT(max_difference(gd[row].select(1, i), (w.squeeze(2) * p.query).sum(1)), 1e-10) << i << " " << k;
    }
  }
}

// Garg et al.'s curriculum: inputs past the live coordinates are zero, and the responses follow.
TEST(Icl, CurriculumTruncatesInputsAndGrowsOnSchedule) {
  const Prompts p = draw({.dimension = 5, .context = 8, .active_dimensions = 2}, 10, 24);
  EXPECT_EQ(p.x.narrow(2, 2, 3).abs().max().item<double>(), 0.0);
  EXPECT_EQ(p.query.narrow(1, 2, 3).abs().max().item<double>(), 0.0);
  EXPECT_GT(p.x.narrow(2, 0, 2).abs().min().item<double>(), 0.0);
  EXPECT_LT(max_difference(p.y, torch::matmul(p.x.narrow(2, 0, 2), p.weights.narrow(1, 0, 2).unsqueeze(2)).squeeze(2)), 1e-14);
  const DimensionCurriculum curriculum{.start = 1, .every = 300};
  EXPECT_EQ(curriculum.live_at(0, 5), 1);
  EXPECT_EQ(curriculum.live_at(299, 5), 1);
  EXPECT_EQ(curriculum.live_at(300, 5), 2);
  EXPECT_EQ(curriculum.live_at(1200, 5), 5);
  EXPECT_EQ(curriculum.live_at(100000, 5), 5);
  EXPECT_EQ(DimensionCurriculum{}.live_at(0, 5), 0);  // no curriculum: all live
}

TEST(Icl, ResidualSimilarityIsTheMeanCosineOfResiduals) {
  const torch::Tensor y = torch::tensor({{1.0, 2.0}, {0.5, -1.0}}, torch::kFloat64);
  const torch::Tensor a = y + torch::tensor({{1.0, 0.0}, {1.0, 2.0}}, torch::kFloat64);
  const torch::Tensor b = y + torch::tensor({{1.0, 1.0}, {-1.0, -2.0}}, torch::kFloat64);
  // Prompt 1: cos((1, 0), (1, 1)) = 1/sqrt(2); prompt 2: opposite residuals, -1.
  EXPECT_NEAR(residual_similarity(a, b, y), (1.0 / std::sqrt(2.0) - 1.0) / 2.0, 1e-15);
  EXPECT_NEAR(residual_similarity(a, a, y), 1.0, 1e-15);
  const torch::Tensor by_position = mean_squared_error_by_position(a, y);
  EXPECT_NEAR(by_position[0].item<double>(), 1.0, 1e-15);
  EXPECT_NEAR(by_position[1].item<double>(), 2.0, 1e-15);
}

// Token 2i is x_i, token 2i + 1 is (y_i, 0, ...); the prediction at x_i sees x_0..x_i and
// y_0..y_{i-1} and nothing after.
TEST(Icl, TransformerPredictsEachPointFromThePointsBeforeIt) {
  const InContextTransformerOptions options{.dimension = 3, .points = 6, .width = 16, .heads = 2, .layers = 2};
  const PointSequence sequence = point_sequence(draw({.dimension = 3, .context = 5}, 4, 22));
  const torch::Tensor tokens = interleave(sequence);
  EXPECT_EQ(tokens.sizes(), (std::vector<std::int64_t>{4, 12, 3}));
  EXPECT_NEAR(tokens[1][6][2].item<double>(), sequence.x[1][3][2].item<double>(), 1e-6);
  EXPECT_NEAR(tokens[1][7][0].item<double>(), sequence.y[1][3].item<double>(), 1e-6);
  EXPECT_EQ(tokens[1][7].narrow(0, 1, 2).abs().max().item<double>(), 0.0);

  InContextTransformer model(options, 5);
  torch::NoGradGuard no_grad;
  const torch::Tensor before = model.forward(sequence);
  PointSequence changed{sequence.x.clone(), sequence.y.clone()};
  changed.y.select(1, 3).add_(10.0);
  const torch::Tensor after = model.forward(changed);
  EXPECT_EQ((after - before).narrow(1, 0, 4).abs().max().item<double>(), 0.0);  // positions 0..3 do not see y_3
  EXPECT_GT((after - before).select(1, 4).abs().min().item<double>(), 0.0);
  // The same seed builds the same model; hidden states end in the prediction's features.
  InContextTransformer twin(options, 5);
  EXPECT_TRUE(torch::equal(twin.forward(sequence), before));
  const auto states = model.hidden_states(sequence);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].sizes(), (std::vector<std::int64_t>{4, 6, 16}));
  EXPECT_TRUE(torch::allclose(model.read_out->forward(states[1]).squeeze(2), before));
}

TEST(Icl, LinearProbeRecoversALinearReadOut) {
  torch::Generator generator = at::detail::createCPUGenerator(23);
  const torch::Tensor features = torch::randn({50, 4, 6}, generator, torch::kFloat32);
  const torch::Tensor weight = torch::tensor({0.5, -1.0, 2.0, 0.0, 0.25, 3.0}, torch::kFloat64);
  const torch::Tensor targets = torch::matmul(features.to(torch::kFloat64), weight) - 0.75;
  const LinearProbe probe = fit_linear_probe(features, targets);
  EXPECT_LT(max_difference(probe.weight, weight), 1e-10);
  EXPECT_NEAR(probe.bias, -0.75, 1e-10);
  EXPECT_LT(max_difference(probe.apply(features), targets), 1e-10);
}

TEST(Icl, TransformerTrainingIsDeterministicAndReachesEveryParameter) {
  const TaskOptions tasks{.dimension = 3, .context = 5};
  const InContextTraining training{.hyperparameters = {{"lr", 1e-3}}, .steps = 3, .batch = 8, .seed = 4};
  const InContextTransformerOptions options{.dimension = 3, .points = 6, .width = 16, .heads = 2, .layers = 2};
  InContextTransformer first(options, 6), second(options, 6), untouched(options, 6);
  EXPECT_EQ(train_in_context(first, tasks, training), train_in_context(second, tasks, training));
  const auto trained = first.named_parameters();
  for (const auto& item : untouched.named_parameters()) {
    EXPECT_FALSE(torch::equal(trained[item.key()], item.value())) << item.key();
    EXPECT_TRUE(torch::equal(trained[item.key()], second.named_parameters()[item.key()])) << item.key();
  }
}

}  // namespace
}  // namespace descent::icl

namespace descent::icl {
namespace {

Eigen::MatrixXd random_matrix(int rows, int cols, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd m(rows, cols);
  for (int i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}

// Tarzanagh et al.'s acceptance 1: the loss gradient in W (and through W = K^T Q) against central
// differences.
TEST(AttentionSvm, GradientMatchesFiniteDifferences) {
  const AttentionData data = attention_data(6, 8, 10, 1);
  const Eigen::MatrixXd w = random_matrix(10, 10, 2);
  const Eigen::MatrixXd analytic = attention_loss_gradient(data, w);
  constexpr double h = 1e-6;
  for (int k = 0; k < w.size(); ++k) {
    Eigen::MatrixXd up = w, down = w;
    up.data()[k] += h;
    down.data()[k] -= h;
    EXPECT_NEAR(analytic.data()[k], (attention_loss(data, up) - attention_loss(data, down)) / (2 * h), 1e-8) << k;
  }
  // A loss around 0.69 = log 2 at W = 0: the outputs are the tokens' mean along v.
  EXPECT_NEAR(attention_outputs(data, Eigen::MatrixXd::Zero(10, 10))(0), (data.tokens[0] * data.head).mean(), 1e-15);
}

// Saturated attention (the top token's probability within 1e-16 of 1): the gradient's terms are of
// order exp(-gap), far below the rounding of a_t - f formed as a difference. The gradient must keep
// its relative accuracy there; the reference is the same formula in long double with the small
// factors formed from exact differences.
TEST(AttentionSvm, GradientStaysAccurateWhenAttentionSaturates) {
  const AttentionData data = attention_data(6, 8, 10, 6);
  const Eigen::MatrixXd w = 400.0 * random_matrix(10, 10, 7);
  const Eigen::MatrixXd p = attention_probabilities(data, w);
  EXPECT_GT(p.rowwise().maxCoeff().minCoeff(), 1 - 1e-15);  // saturated in double
  Eigen::MatrixXd reference = Eigen::MatrixXd::Zero(10, 10);
  for (int i = 0; i < 6; ++i) {
    const Eigen::VectorXd a = data.tokens[i] * data.head;
    const Eigen::VectorXd scores = data.tokens[i] * (w * data.queries.row(i).transpose());
    std::vector<long double> e(8);
    long double sum = 0, out = 0;
    for (int t = 0; t < 8; ++t) sum += e[t] = std::exp(static_cast<long double>(scores(t) - scores.maxCoeff()));
    for (int t = 0; t < 8; ++t) out += e[t] / sum * a(t);
    const long double margin = data.labels(i) * out;
    const long double dloss = -data.labels(i) / (1 + std::exp(margin)) / 6;
    for (int t = 0; t < 8; ++t) {
      long double centered = 0;
      for (int s = 0; s < 8; ++s) centered += e[s] / sum * (static_cast<long double>(a(t)) - a(s));
      const long double factor = dloss * e[t] / sum * centered;
      reference += static_cast<double>(factor) * data.tokens[i].row(t).transpose() * data.queries.row(i);
    }
  }
  const Eigen::MatrixXd gradient = attention_loss_gradient(data, w);
  EXPECT_LT((gradient - reference).norm(), 1e-12 * reference.norm()) << reference.norm();
}

// The nonnegative QP both ways and against enumeration of every active set (m = 7).
TEST(AttentionSvm, NonnegativeQpSolversAgreeWithEnumeration) {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Eigen::MatrixXd f = random_matrix(7, 9, 10 + seed);
    const Eigen::MatrixXd g = f * f.transpose();
    const Eigen::VectorXd b = random_matrix(7, 1, 20 + seed);
    const Eigen::VectorXd active = solve_nonnegative_qp_active_set(g, b).solution;
    const Eigen::VectorXd cyclic = solve_nonnegative_qp_coordinate_descent(g, b, 1e-13, 1000000).solution;
    const auto objective = [&](const Eigen::VectorXd& l) { return 0.5 * l.dot(g * l) - b.dot(l); };
    double best = 0.0;  // l = 0 is feasible
    for (int mask = 1; mask < (1 << 7); ++mask) {
      std::vector<int> index;
      for (int k = 0; k < 7; ++k) {
        if (mask & (1 << k)) index.push_back(k);
      }
      Eigen::MatrixXd sub(index.size(), index.size());
      Eigen::VectorXd rhs(index.size());
      for (std::size_t r = 0; r < index.size(); ++r) {
        rhs(r) = b(index[r]);
        for (std::size_t c = 0; c < index.size(); ++c) sub(r, c) = g(index[r], index[c]);
      }
      const Eigen::VectorXd local = sub.ldlt().solve(rhs);
      if ((local.array() < 0).any()) continue;
      Eigen::VectorXd l = Eigen::VectorXd::Zero(7);
      for (std::size_t r = 0; r < index.size(); ++r) l(index[r]) = local(r);
      best = std::min(best, objective(l));
    }
    EXPECT_NEAR(objective(active), best, 1e-10 * std::max(1.0, std::abs(best))) << seed;
    EXPECT_LT((active - cyclic).norm(), 1e-8 * std::max(1.0, active.norm())) << seed;
    EXPECT_TRUE((active.array() >= 0).all());
  }
}

TEST(AttentionSvm, FrobeniusSvmSatisfiesKktAndBothSolversAgree) {
  const AttentionData data = attention_data(6, 8, 10, 3);
  const Eigen::MatrixXd constraints = svm_constraints(data, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(constraints.rows(), 6 * 7);
  const SvmSolution exact = frobenius_svm(constraints, true), iterative = frobenius_svm(constraints, false);
  EXPECT_LT(frobenius_svm_kkt_residual(constraints, exact), 1e-9);
  EXPECT_LT(frobenius_svm_kkt_residual(constraints, iterative), 1e-9);
  EXPECT_LT((exact.w - iterative.w).norm(), 1e-8 * exact.w.norm());
  // The constraint row of (i, t) is <(x_t - x_alpha) z_i^T, W>: check one entry against its definition.
  const Eigen::VectorXd x = data.tokens[0].row(1) - data.tokens[0].row(0);
  EXPECT_NEAR(constraints.row(0).dot(Eigen::Map<const Eigen::VectorXd>(
                  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>(exact.w).data(), 100)),
              x.dot(exact.w * data.queries.row(0).transpose()), 1e-12);
}

// One constraint <A, W> <= -1: the nuclear-norm minimum is 1 / sigma_max(A) (the spectral norm is
// the nuclear norm's dual), at W = -u_1 v_1^T / sigma_1.
TEST(AttentionSvm, NuclearSvmReachesTheDualNormBound) {
  const Eigen::MatrixXd a = random_matrix(5, 5, 30);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = a;
  const Eigen::MatrixXd constraint = Eigen::Map<const Eigen::MatrixXd>(row_major.data(), 1, 25);
  const NuclearSvmSolution solution = nuclear_svm(constraint, 5, 1.0, 20000, 1e-10);
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd_a(a);
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd_w(solution.w);
  EXPECT_NEAR(svd_w.singularValues().sum(), 1.0 / svd_a.singularValues()(0), 1e-6);
  EXPECT_LE((a.array() * solution.w.array()).sum(), -1.0 + 1e-9);
  // On attention constraints: feasible, and no larger in nuclear norm than the Frobenius solution.
  const AttentionData data = attention_data(6, 8, 10, 4);
  const Eigen::MatrixXd constraints = svm_constraints(data, {7, 6, 5, 4, 3, 2});
  const NuclearSvmSolution nuclear = nuclear_svm(constraints, 10, 1.0, 20000, 1e-9);
  const Eigen::MatrixXd frobenius = frobenius_svm(constraints).w;
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> nuclear_rows = nuclear.w;
  EXPECT_LE((constraints * Eigen::Map<const Eigen::VectorXd>(nuclear_rows.data(), 100)).maxCoeff(), -1.0 + 1e-8);
  EXPECT_LE(Eigen::JacobiSVD<Eigen::MatrixXd>(nuclear.w).singularValues().sum(),
            Eigen::JacobiSVD<Eigen::MatrixXd>(frobenius).singularValues().sum() + 1e-8);
}

TEST(AttentionSvm, NormalizedGdTakesStepsOfTheLearningRate) {
  const AttentionData data = attention_data(3, 4, 5, 5);
  const auto iterates = train_attention_w(data, Eigen::MatrixXd::Zero(5, 5), 0.1, 3);
  ASSERT_EQ(iterates.size(), 3u);
  EXPECT_NEAR(iterates[0].norm(), 0.1, 1e-12);
  EXPECT_NEAR((iterates[1] - iterates[0]).norm(), 0.1, 1e-12);
  EXPECT_LT(attention_loss(data, iterates[2]), attention_loss(data, Eigen::MatrixXd::Zero(5, 5)));
}

}  // namespace
}  // namespace descent::icl
