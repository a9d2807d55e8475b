// A tester-learner for halfspaces with Massart noise (Gollakota, Klivans, Stavropoulos & Vasilyan,
// "An Efficient Tester-Learner for Halfspaces", ICLR 2024): learn a candidate w, then test whether
// the input distribution looks like the target (here N(0, I)) where it matters for w; output
// sign<w, x> when every test passes, reject otherwise. Accepting a non-Gaussian distribution is
// allowed only when w's error is still near opt: the tests certify the learner, not the data.
//   - learner: projected SGD on the unit sphere for the LeakyReLU surrogate of Diakonikolas et al.
//     (NeurIPS 2020): L(w) = E[LeakyReLU_lambda(-y <w, x>)], LeakyReLU_lambda(z) = (1 - lambda) z
//     for z >= 0 and lambda z otherwise;
//   - (a) moment matching: every monomial of degree 1..k against its N(0, I) value;
//   - (b) band tests on S_w = {|<w, x>| <= sigma}: its mass against erf(sigma / sqrt 2), and the
//     second moments of (I - w w^T) x inside it against I - w w^T.
// Each statistic is compared with its Gaussian value in units of its Gaussian standard error; the
// limit z is the Bonferroni quantile for a family-wise level alpha, so a Gaussian sample fails
// with probability at most alpha. The paper's label-dependent tests (c) are not implemented.
// Free of LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace descent::halfspace {

// n labelled points in R^d, row-major, with the probability each label was flipped with.
struct LabelledSample {
  std::int64_t dimension = 0;
  std::vector<double> x;
  std::vector<int> y;                     // +1 or -1
  std::vector<double> flip_probability;  // eta(x), known because the sample was drawn here

  std::int64_t size() const { return static_cast<std::int64_t>(y.size()); }
  const double* point(std::int64_t i) const { return x.data() + i * dimension; }
};

// How the inputs are drawn: N(0, I), or a crafted non-Gaussian law.
enum class InputLaw {
  gaussian,
  far_cluster,     // a fraction of the points moved to one far point (plus unit noise)
  sphere,          // uniform on the sphere of radius sqrt(d): the same first two moments as N(0, I)
  boundary_heavy,  // a fraction of the points redrawn inside the band |<w*, x>| <= 0.3, where noise is highest
};

struct MassartOptions {
  std::int64_t dimension = 10;
  std::int64_t size = 100000;
  InputLaw law = InputLaw::gaussian;
  double contamination = 0.1;  // the moved fraction of far_cluster and boundary_heavy
  // eta(x) = eta_near for |<w*, x>| <= noisy_band, else eta_far: Massart noise with bound eta_near < 1/2.
  double eta_near = 0.2, eta_far = 0.05, noisy_band = 1.0;
};

// Labels sign<w*, x>, each flipped with probability eta(x).
LabelledSample massart_sample(const MassartOptions& options, const std::vector<double>& w_star, std::uint64_t seed);

// A uniformly random unit vector of R^d.
std::vector<double> random_unit_vector(std::int64_t dimension, std::uint64_t seed);

// The fraction of points that sign<w, x> misclassifies (sign 0 counts as +1).
double error_rate(const LabelledSample& sample, const std::vector<double>& w);

// The mean flip probability: w*'s expected error on these inputs, opt.
double optimal_error(const LabelledSample& sample);

struct LearnerOptions {
  double leaky = 0.2;  // lambda; Diakonikolas et al. take it at the noise bound
  std::int64_t epochs = 4;
  std::int64_t batch = 100;
  double step = 0.05;  // step t of an epoch-wise decaying schedule step / sqrt(1 + t / batches_per_epoch)
};

// Projected SGD on the unit sphere from a random unit start: w <- normalize(w - step * grad).
std::vector<double> learn_leaky_relu(const LabelledSample& sample, const LearnerOptions& options, std::uint64_t seed);

// The LeakyReLU surrogate's value at w on `sample`, and its gradient (where -y<w, x> = 0, the
// slope of the positive side).
double leaky_relu_loss(const LabelledSample& sample, const std::vector<double>& w, double leaky);
std::vector<double> leaky_relu_gradient(const LabelledSample& sample, const std::vector<double>& w, double leaky);

// One statistic's comparison with its Gaussian value.
struct Deviation {
  std::string statistic;  // "E[x0^2 x3]", "band mass", ...
  double measured = 0.0, expected = 0.0, z = 0.0;  // z = (measured - expected) / standard error
};

struct TestReport {
  std::string test;
  std::vector<Deviation> deviations;  // every statistic compared
  Deviation worst;                    // the one of largest |z|
  bool pass = false;
};

// The two-sided Bonferroni limit: |z| beyond it has probability alpha / count under N(0, 1).
double bonferroni_limit(double alpha, std::int64_t count);

// E[x^a] of a multi-index under N(0, I): the product of (a_i - 1)!! over even a_i, 0 if any is odd.
double gaussian_monomial_moment(const std::vector<int>& powers);

// (a) every monomial of degree 1..max_degree; its limit is bonferroni_limit(alpha, count).
TestReport moment_test(const LabelledSample& sample, int max_degree, double alpha);

// (b) the band S_w of half-width sigma: its mass, and the entries of E[P x x^T P | S_w] (P = I - w w^T).
TestReport band_test(const LabelledSample& sample, const std::vector<double>& w, double sigma, double alpha);

struct TesterLearnerOptions {
  LearnerOptions learner;
  int max_degree = 4;
  double band = 0.3;   // sigma
  double alpha = 0.01;  // family-wise level of each test
};

struct TesterLearnerResult {
  std::vector<double> w;
  std::vector<TestReport> tests;
  bool accepted = false;
};

// Learns on `train`, tests on the independent `fresh` sample (so the band test does not see the
// points that chose w), and accepts when every test passes.
TesterLearnerResult tester_learner(const LabelledSample& train, const LabelledSample& fresh, const TesterLearnerOptions& options,
                                   std::uint64_t seed);

}  // namespace descent::halfspace
