// Variational objectives and their gradient estimators against exact answers: on the conjugate
// Normal-Normal model the ELBO's gradient is known in closed form, so every estimator's mean must
// land on it; enumeration of a Bernoulli site is exact; IWAE bounds rise with K toward log Z.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/core/sample_statistics.hpp"
#include "descent/vi/variational.hpp"

namespace descent::vi {
namespace {

torch::Tensor scalar(double v, bool grad = false) { return torch::full({}, v, torch::kFloat64).requires_grad_(grad); }

// z ~ N(0, 1), x | z ~ N(z, 1), x observed; guide N(mean, exp(log_scale)^2).
struct Conjugate {
  double x = 1.5;
  torch::Tensor mean = scalar(0.3, true), log_scale = scalar(-0.2, true);
  Program program(Estimator estimator) const {
    return [this, estimator](Trace& trace) {
      const torch::Tensor z = trace.normal(mean, log_scale, estimator);
      return normal_log_density(z, scalar(0.0), scalar(1.0)) + normal_log_density(scalar(x), z, scalar(1.0));
    };
  }
  // d ELBO / d mean = x - 2 mean; d ELBO / d log_scale = 1 - 2 s^2.
  std::pair<double, double> exact_gradient() const {
    const double m = mean.item<double>(), s = std::exp(log_scale.item<double>());
    return {x - 2 * m, 1 - 2 * s * s};
  }
  double log_evidence() const { return -0.5 * x * x / 2 - 0.5 * std::log(2 * M_PI * 2); }  // x ~ N(0, 2)
};

TEST(Variational, EveryEstimatorIsUnbiasedForTheConjugateElboGradient) {
  const Conjugate model;
  const auto [exact_mean, exact_scale] = model.exact_gradient();
  torch::Generator generator = at::detail::createCPUGenerator(1);
  for (const Estimator estimator : {Estimator::reparameterization, Estimator::reinforce}) {
    std::vector<double> d_mean, d_scale;
    for (int s = 0; s < 8000; ++s) {
      const Estimate e = elbo(model.program(estimator), 1, generator);
      const auto g = torch::autograd::grad({e.surrogate}, {model.mean, model.log_scale});
      d_mean.push_back(g[0].item<double>());
      d_scale.push_back(g[1].item<double>());
    }
    const SampleMoments m = sample_moments(d_mean), s = sample_moments(d_scale);
    EXPECT_LT(std::abs(m.mean - exact_mean), 3.5 * m.standard_error) << static_cast<int>(estimator) << " mean " << m.mean;
    EXPECT_LT(std::abs(s.mean - exact_scale), 3.5 * s.standard_error) << static_cast<int>(estimator) << " scale " << s.mean;
  }
}

// b ~ Bernoulli(0.3), x | b ~ N(2b - 1, 1), x = 0.4; q(b) = Bernoulli(sigmoid(theta)).
TEST(Variational, EnumeratedBernoulliElboAndGradientAreExact) {
  const double x = 0.4, prior = 0.3, theta = 0.7;
  const auto log_joint = [&](double b) {
    return scalar(std::log(b == 1.0 ? prior : 1 - prior) - 0.5 * std::pow(x - (2 * b - 1), 2) - 0.5 * std::log(2 * M_PI));
  };
  const torch::Tensor logit = scalar(theta, true);
  const torch::Tensor objective = enumerated_bernoulli_elbo(logit, log_joint);
  const double q1 = 1 / (1 + std::exp(-theta)), a1 = log_joint(1.0).item<double>(), a0 = log_joint(0.0).item<double>();
  EXPECT_NEAR(objective.item<double>(), q1 * (a1 - std::log(q1)) + (1 - q1) * (a0 - std::log(1 - q1)), 1e-12);
  const double exact = (a1 - a0 - std::log(q1) + std::log(1 - q1)) * q1 * (1 - q1);
  EXPECT_NEAR(torch::autograd::grad({objective}, {logit})[0].item<double>(), exact, 1e-12);
}

// The REINFORCE estimator of a Bernoulli site is unbiased for the same gradient.
TEST(Variational, BernoulliReinforceIsUnbiased) {
  const double x = 0.4, prior = 0.3;
  const torch::Tensor logit = scalar(0.7, true);
  const auto log_joint = [&](double b) { return std::log(b == 1.0 ? prior : 1 - prior) - 0.5 * std::pow(x - (2 * b - 1), 2); };
  const Program program = [&](Trace& trace) { return scalar(log_joint(trace.bernoulli(logit).item<double>())); };
  torch::Generator generator = at::detail::createCPUGenerator(2);
  std::vector<double> gradients;
  for (int s = 0; s < 8000; ++s) gradients.push_back(torch::autograd::grad({elbo(program, 1, generator).surrogate}, {logit})[0].item<double>());
  const double exact = torch::autograd::grad({enumerated_bernoulli_elbo(logit, [&](double b) { return scalar(log_joint(b)); })}, {logit})[0].item<double>();
  const SampleMoments m = sample_moments(gradients);
  EXPECT_LT(std::abs(m.mean - exact), 3.5 * m.standard_error) << m.mean << " vs " << exact;
}

TEST(Variational, IwaeRisesWithParticlesBelowTheEvidence) {
  const Conjugate model;
  torch::Generator generator = at::detail::createCPUGenerator(3);
  std::vector<double> bounds;
  for (const std::int64_t k : {1, 2, 5, 10}) {
    std::vector<double> values;
    for (int r = 0; r < 2000; ++r) values.push_back(iwae(model.program(Estimator::reparameterization), k, generator).value);
    const SampleMoments m = sample_moments(values);
    EXPECT_LT(m.mean, model.log_evidence() + 3 * m.standard_error) << k;
    if (!bounds.empty()) EXPECT_GT(m.mean, bounds.back()) << k;
    bounds.push_back(m.mean);
  }
  EXPECT_GT(model.log_evidence() - bounds.front(), 0.05) << "the guide is not the posterior: the ELBO has a gap";
  EXPECT_THROW(iwae(model.program(Estimator::reinforce), 0, generator), ConfigError);
}

}  // namespace
}  // namespace descent::vi
