#include "descent/halfspace/tester_learner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"

namespace descent::halfspace {
namespace {

double dot(const double* a, const double* b, std::int64_t d) {
  double sum = 0.0;
  for (std::int64_t j = 0; j < d; ++j) sum += a[j] * b[j];
  return sum;
}

void normalize(std::vector<double>& v) {
  const double norm = std::sqrt(dot(v.data(), v.data(), static_cast<std::int64_t>(v.size())));
  for (double& value : v) value /= norm;
}

void check_direction(const LabelledSample& sample, const std::vector<double>& w) {
  if (static_cast<std::int64_t>(w.size()) != sample.dimension) {
    throw ConfigError(fmt::format("halfspace: a direction of {} coordinates for points of dimension {}", w.size(), sample.dimension));
  }
}

// Adds point i's gradient of LeakyReLU_lambda(-y<w, x>): the slope at the margin, times -y x.
void add_point_gradient(const LabelledSample& sample, std::int64_t i, const std::vector<double>& w, double leaky, std::vector<double>& gradient) {
  const int label = sample.y[static_cast<std::size_t>(i)];
  const double* x = sample.point(i);
  const double margin = -label * dot(x, w.data(), sample.dimension);
  const double weight = (margin >= 0.0 ? 1.0 - leaky : leaky) * -label;
  for (std::int64_t j = 0; j < sample.dimension; ++j) gradient[static_cast<std::size_t>(j)] += weight * x[j];
}

// Every multi-index of degree 1..max_degree over d coordinates, as the non-decreasing coordinate
// lists a depth-first walk visits them: {0}, {0,0}, {0,0,0}, ..., {1}, ...
void enumerate_monomials(std::int64_t d, int max_degree, std::int64_t first, std::vector<std::int64_t>& prefix,
                         std::vector<std::vector<std::int64_t>>& out) {
  for (std::int64_t j = first; j < d; ++j) {
    prefix.push_back(j);
    out.push_back(prefix);
    if (static_cast<int>(prefix.size()) < max_degree) enumerate_monomials(d, max_degree, j, prefix, out);
    prefix.pop_back();
  }
}

// Adds, for one point, the value of every monomial in the order enumerate_monomials lists them.
void accumulate_monomials(const double* x, std::int64_t d, int max_degree, int degree, std::int64_t first, double product,
                          std::vector<double>& sums, std::size_t& next) {
  for (std::int64_t j = first; j < d; ++j) {
    const double value = product * x[j];
    sums[next++] += value;
    if (degree < max_degree) accumulate_monomials(x, d, max_degree, degree + 1, j, value, sums, next);
  }
}

std::vector<int> powers_of(const std::vector<std::int64_t>& coordinates, std::int64_t d) {
  std::vector<int> powers(static_cast<std::size_t>(d), 0);
  for (const std::int64_t j : coordinates) ++powers[static_cast<std::size_t>(j)];
  return powers;
}

std::string monomial_name(const std::vector<int>& powers) {
  std::string name = "E[";
  for (std::size_t j = 0; j < powers.size(); ++j) {
    if (powers[j] == 0) continue;
    if (name.size() > 2) name += " ";
    name += powers[j] == 1 ? fmt::format("x{}", j) : fmt::format("x{}^{}", j, powers[j]);
  }
  return name + "]";
}

// Records a statistic and keeps the one of largest |z|.
void consider(TestReport& report, Deviation deviation) {
  if (report.deviations.empty() || std::abs(deviation.z) > std::abs(report.worst.z)) report.worst = deviation;
  report.deviations.push_back(std::move(deviation));
}

bool within_limit(const TestReport& report, double alpha) {
  return std::abs(report.worst.z) <= bonferroni_limit(alpha, static_cast<std::int64_t>(report.deviations.size()));
}

}  // namespace

std::vector<double> random_unit_vector(std::int64_t dimension, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(dimension));
  for (double& value : v) value = rng.normal();
  normalize(v);
  return v;
}

LabelledSample massart_sample(const MassartOptions& options, const std::vector<double>& w_star, std::uint64_t seed) {
  const std::int64_t d = options.dimension;
  if (static_cast<std::int64_t>(w_star.size()) != d) throw ConfigError(fmt::format("halfspace: w* has {} coordinates, the inputs {}", w_star.size(), d));
  if (!(options.eta_near < 0.5 && options.eta_far < 0.5)) throw ConfigError("halfspace: Massart noise needs flip probabilities below 1/2");
  Rng rng(seed);
  const std::vector<double> far_direction = random_unit_vector(d, seed ^ 0x5EEDF00DULL);
  constexpr double kFarDistance = 6.0, kHeavyBand = 0.3;
  LabelledSample sample{d, {}, {}, {}};
  sample.x.resize(static_cast<std::size_t>(options.size * d));
  for (std::int64_t i = 0; i < options.size; ++i) {
    double* x = sample.x.data() + i * d;
    for (std::int64_t j = 0; j < d; ++j) x[j] = rng.normal();
    const bool moved = rng.uniform() < options.contamination;
    if (options.law == InputLaw::sphere) {
      const double scale = std::sqrt(static_cast<double>(d) / dot(x, x, d));
      for (std::int64_t j = 0; j < d; ++j) x[j] *= scale;
    } else if (options.law == InputLaw::far_cluster && moved) {
      for (std::int64_t j = 0; j < d; ++j) x[j] += kFarDistance * far_direction[static_cast<std::size_t>(j)];
    } else if (options.law == InputLaw::boundary_heavy && moved) {
      // Replace the component along w* by a uniform draw inside the band.
      const double along = dot(x, w_star.data(), d), target = kHeavyBand * (2.0 * rng.uniform() - 1.0);
      for (std::int64_t j = 0; j < d; ++j) x[j] += (target - along) * w_star[static_cast<std::size_t>(j)];
    }
    const double margin = dot(x, w_star.data(), d);
    const double eta = std::abs(margin) <= options.noisy_band ? options.eta_near : options.eta_far;
    const int clean = margin >= 0.0 ? 1 : -1;
    sample.y.push_back(rng.uniform() < eta ? -clean : clean);
    sample.flip_probability.push_back(eta);
  }
  return sample;
}

double error_rate(const LabelledSample& sample, const std::vector<double>& w) {
  check_direction(sample, w);
  std::int64_t errors = 0;
  for (std::int64_t i = 0; i < sample.size(); ++i) {
    const int predicted = dot(sample.point(i), w.data(), sample.dimension) >= 0.0 ? 1 : -1;
    errors += predicted != sample.y[static_cast<std::size_t>(i)];
  }
  return static_cast<double>(errors) / static_cast<double>(sample.size());
}

double optimal_error(const LabelledSample& sample) {
  return std::accumulate(sample.flip_probability.begin(), sample.flip_probability.end(), 0.0) / static_cast<double>(sample.size());
}

double leaky_relu_loss(const LabelledSample& sample, const std::vector<double>& w, double leaky) {
  check_direction(sample, w);
  double sum = 0.0;
  for (std::int64_t i = 0; i < sample.size(); ++i) {
    const double margin = -sample.y[static_cast<std::size_t>(i)] * dot(sample.point(i), w.data(), sample.dimension);
    sum += margin >= 0.0 ? (1.0 - leaky) * margin : leaky * margin;
  }
  return sum / static_cast<double>(sample.size());
}

std::vector<double> leaky_relu_gradient(const LabelledSample& sample, const std::vector<double>& w, double leaky) {
  check_direction(sample, w);
  std::vector<double> gradient(w.size(), 0.0);
  for (std::int64_t i = 0; i < sample.size(); ++i) add_point_gradient(sample, i, w, leaky, gradient);
  for (double& value : gradient) value /= static_cast<double>(sample.size());
  return gradient;
}

std::vector<double> learn_leaky_relu(const LabelledSample& sample, const LearnerOptions& options, std::uint64_t seed) {
  const std::int64_t d = sample.dimension, n = sample.size();
  std::vector<double> w = random_unit_vector(d, seed);
  Rng rng(seed + 1);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const std::int64_t batches = std::max<std::int64_t>(1, n / options.batch);
  std::vector<double> gradient(static_cast<std::size_t>(d));
  std::int64_t t = 0;
  for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    for (std::int64_t i = n - 1; i > 0; --i) std::swap(order[static_cast<std::size_t>(i)], order[rng.below(static_cast<std::uint64_t>(i + 1))]);
    for (std::int64_t b = 0; b < batches; ++b, ++t) {
      std::fill(gradient.begin(), gradient.end(), 0.0);
      for (std::int64_t k = b * options.batch; k < std::min(n, (b + 1) * options.batch); ++k) {
        add_point_gradient(sample, order[static_cast<std::size_t>(k)], w, options.leaky, gradient);
      }
      const double step = options.step / std::sqrt(1.0 + static_cast<double>(t) / static_cast<double>(batches)) / static_cast<double>(options.batch);
      for (std::int64_t j = 0; j < d; ++j) w[static_cast<std::size_t>(j)] -= step * gradient[static_cast<std::size_t>(j)];
      normalize(w);
    }
  }
  return w;
}

double bonferroni_limit(double alpha, std::int64_t count) {
  const double tail = alpha / static_cast<double>(count);
  double low = 0.0, high = 40.0;
  for (int iteration = 0; iteration < 200; ++iteration) {
    const double mid = 0.5 * (low + high);
    (std::erfc(mid / std::sqrt(2.0)) > tail ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

double gaussian_monomial_moment(const std::vector<int>& powers) {
  double moment = 1.0;
  for (const int power : powers) {
    if (power % 2 == 1) return 0.0;
    for (int k = power - 1; k > 1; k -= 2) moment *= k;
  }
  return moment;
}

TestReport moment_test(const LabelledSample& sample, int max_degree, double alpha) {
  const std::int64_t d = sample.dimension, n = sample.size();
  std::vector<std::vector<std::int64_t>> monomials;
  std::vector<std::int64_t> prefix;
  enumerate_monomials(d, max_degree, 0, prefix, monomials);
  std::vector<double> sums(monomials.size(), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    std::size_t next = 0;
    accumulate_monomials(sample.point(i), d, max_degree, 1, 0, 1.0, sums, next);
  }
  TestReport report{fmt::format("moments of degree <= {}", max_degree), {}, {}, false};
  for (std::size_t m = 0; m < monomials.size(); ++m) {
    const std::vector<int> powers = powers_of(monomials[m], d);
    std::vector<int> doubled = powers;
    for (int& power : doubled) power *= 2;
    const double expected = gaussian_monomial_moment(powers);
    const double variance = gaussian_monomial_moment(doubled) - expected * expected;
    const double measured = sums[m] / static_cast<double>(n);
    consider(report, {monomial_name(powers), measured, expected, (measured - expected) / std::sqrt(variance / static_cast<double>(n))});
  }
  report.pass = within_limit(report, alpha);
  return report;
}

TestReport band_test(const LabelledSample& sample, const std::vector<double>& w, double sigma, double alpha) {
  check_direction(sample, w);
  const std::int64_t d = sample.dimension, n = sample.size();
  std::vector<double> second(static_cast<std::size_t>(d * d), 0.0), projected(static_cast<std::size_t>(d));
  std::int64_t inside = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double* x = sample.point(i);
    const double along = dot(x, w.data(), d);
    if (std::abs(along) > sigma) continue;
    ++inside;
    for (std::int64_t j = 0; j < d; ++j) projected[static_cast<std::size_t>(j)] = x[j] - along * w[static_cast<std::size_t>(j)];
    for (std::int64_t a = 0; a < d; ++a) {
      for (std::int64_t b = a; b < d; ++b) second[static_cast<std::size_t>(a * d + b)] += projected[static_cast<std::size_t>(a)] * projected[static_cast<std::size_t>(b)];
    }
  }
  TestReport report{fmt::format("band |<w, x>| <= {}", sigma), {}, {}, false};
  const double mass = std::erf(sigma / std::sqrt(2.0)), measured_mass = static_cast<double>(inside) / static_cast<double>(n);
  consider(report, {"band mass", measured_mass, mass, (measured_mass - mass) / std::sqrt(mass * (1.0 - mass) / static_cast<double>(n))});
  if (inside < 2) return report;  // nothing to measure the band's shape with: fails
  const auto projector = [&](std::int64_t a, std::int64_t b) {
    return (a == b ? 1.0 : 0.0) - w[static_cast<std::size_t>(a)] * w[static_cast<std::size_t>(b)];
  };
  for (std::int64_t a = 0; a < d; ++a) {
    for (std::int64_t b = a; b < d; ++b) {
      const double expected = projector(a, b), variance = projector(a, a) * projector(b, b) + expected * expected;
      const double measured = second[static_cast<std::size_t>(a * d + b)] / static_cast<double>(inside);
      consider(report, {fmt::format("E[z{} z{} | band]", a, b), measured, expected, (measured - expected) / std::sqrt(variance / static_cast<double>(inside))});
    }
  }
  report.pass = within_limit(report, alpha);
  return report;
}

TesterLearnerResult tester_learner(const LabelledSample& train, const LabelledSample& fresh, const TesterLearnerOptions& options,
                                   std::uint64_t seed) {
  TesterLearnerResult result;
  result.w = learn_leaky_relu(train, options.learner, seed);
  result.tests.push_back(moment_test(fresh, options.max_degree, options.alpha));
  result.tests.push_back(band_test(fresh, result.w, options.band, options.alpha));
  result.accepted = std::all_of(result.tests.begin(), result.tests.end(), [](const TestReport& test) { return test.pass; });
  return result;
}

}  // namespace descent::halfspace
