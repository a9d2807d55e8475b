#include "descent/data/synthetic.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"

namespace descent::data {
namespace {

Dataset empty_like(const std::string& name, Task task, std::int64_t features) {
  Dataset dataset;
  dataset.name = name;
  dataset.task = task;
  dataset.sample_shape = {features};
  return dataset;
}

// The three splits of a synthetic set, empty: "<name>", "<name>/validation", "<name>/test".
Splits empty_splits(const std::string& name, Task task, std::int64_t features, std::int64_t classes = 0) {
  Splits splits{empty_like(name, task, features), empty_like(name + "/validation", task, features), empty_like(name + "/test", task, features)};
  for (Dataset* part : {&splits.train, &splits.validation, &splits.test}) part->num_classes = classes;
  return splits;
}

}  // namespace

Splits gaussian_mixture(const GaussianMixtureOptions& options, std::uint64_t seed) {
  Rng rng(seed);
  const std::int64_t d = options.features;
  std::vector<double> means(static_cast<std::size_t>(options.classes * d));
  for (auto& value : means) value = rng.normal() * options.separation;

  Splits splits = empty_splits("gaussian-mixture", Task::classification, d, options.classes);
  auto draw = [&](Dataset& part, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) {
      const auto label = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(options.classes)));
      for (std::int64_t j = 0; j < d; ++j) {
        part.features.push_back(static_cast<float>(means[label * d + j] + rng.normal()));
      }
      part.labels.push_back(label);
    }
  };
  draw(splits.train, options.train_size);
  draw(splits.test, options.test_size);
  return splits;
}

Splits linear_regression(const LinearRegressionOptions& options, std::uint64_t seed) {
  Rng rng(seed);
  const std::int64_t d = options.features;
  std::vector<double> weights(static_cast<std::size_t>(d));
  for (auto& w : weights) w = rng.normal() / std::sqrt(static_cast<double>(d));

  Splits splits = empty_splits("linear-regression", Task::regression, d);
  auto draw = [&](Dataset& part, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) {
      double y = 0.0;
      for (std::int64_t j = 0; j < d; ++j) {
        const double x = rng.normal();
        part.features.push_back(static_cast<float>(x));
        y += weights[j] * x;
      }
      part.targets.push_back(static_cast<float>(y + options.noise * rng.normal()));
    }
  };
  draw(splits.train, options.train_size);
  draw(splits.test, options.test_size);
  return splits;
}

Splits signal_coordinate(const SignalCoordinateOptions& options, std::uint64_t seed) {
  Rng rng(seed);
  const std::int64_t d = options.features;
  Splits splits = empty_splits("signal-coordinate", Task::classification, d, 2);
  auto draw = [&](Dataset& part, std::int64_t count) {
    part.features.assign(static_cast<std::size_t>(count * d), 0.0f);
    for (std::int64_t i = 0; i < count; ++i) {
      const auto label = static_cast<std::int64_t>(rng.below(2));
      const bool first = rng.below(static_cast<std::uint64_t>(d)) == 0;
      const std::int64_t j = first ? 0 : 1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(d - 1)));
      part.features[static_cast<std::size_t>(i * d + j)] = label == 1 ? 1.0f : -1.0f;
      part.labels.push_back(label);
    }
  };
  draw(splits.train, options.train_size);
  draw(splits.test, options.test_size);
  return splits;
}

Splits two_spirals(const SpiralOptions& options, std::uint64_t seed) {
  Rng rng(seed);
  Splits splits = empty_splits("spirals", Task::classification, 2, 2);
  auto draw = [&](Dataset& part, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t label = static_cast<std::int64_t>(rng.below(2));
      const double theta = 3.0 * M_PI * rng.uniform(), radius = theta / (3.0 * M_PI), angle = theta + M_PI * static_cast<double>(label);
      part.features.push_back(static_cast<float>(radius * std::cos(angle) + options.noise * rng.normal()));
      part.features.push_back(static_cast<float>(radius * std::sin(angle) + options.noise * rng.normal()));
      part.labels.push_back(label);
    }
  };
  draw(splits.train, options.train_size);
  draw(splits.test, options.test_size);
  return splits;
}

Splits xor_clusters(const XorClusterOptions& options, std::uint64_t seed) {
  Rng rng(seed);
  const std::int64_t d = options.features;
  Splits splits = empty_splits("xor-clusters", Task::classification, d, 2);
  auto draw = [&](Dataset& part, std::int64_t count, double label_noise) {
    part.features.reserve(static_cast<std::size_t>(count * d));
    for (std::int64_t i = 0; i < count; ++i) {
      const std::uint64_t cluster = rng.below(4);  // +mu_1, -mu_1, +mu_2, -mu_2
      const std::int64_t axis = cluster < 2 ? 0 : 1;
      const double sign = cluster % 2 == 0 ? 1.0 : -1.0;
      for (std::int64_t j = 0; j < d; ++j) {
        part.features.push_back(static_cast<float>((j == axis ? sign * options.mean_norm : 0.0) + rng.normal()));
      }
      const std::int64_t label = axis == 0 ? 1 : 0;
      part.labels.push_back(rng.uniform() < label_noise ? 1 - label : label);
    }
  };
  draw(splits.train, options.train_size, options.label_noise);
  draw(splits.test, options.test_size, 0.0);
  return splits;
}

double gamma_variate(Rng& rng, double shape) {
  if (shape < 1.0) {
    double u = rng.uniform();
    while (u <= 0.0) u = rng.uniform();
    return gamma_variate(rng, shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0.0, v = 0.0;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0.0 && std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

Splits dirichlet_sphere(const DirichletSphereOptions& options, std::uint64_t seed) {
  const auto positive = [](const std::vector<double>& c) { return std::all_of(c.begin(), c.end(), [](double a) { return a > 0.0; }); };
  if (options.class1.size() < 2 || options.class1.size() != options.class0.size() || !positive(options.class1) ||
      !positive(options.class0) || !(options.class1_prior >= 0.0 && options.class1_prior <= 1.0)) {
    throw ConfigError(fmt::format("dirichlet sphere data: concentrations [{}] and [{}] (positive, equal lengths of at least 2), class-1 "
                                  "prior {} (in [0, 1])",
                                  fmt::join(options.class1, ", "), fmt::join(options.class0, ", "), options.class1_prior));
  }
  Rng rng(seed);
  const auto d = static_cast<std::int64_t>(options.class1.size());
  Splits splits = empty_splits("dirichlet-sphere", Task::classification, d, 2);
  auto draw = [&](Dataset& part, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t label = rng.uniform() < options.class1_prior ? 1 : 0;
      const std::vector<double>& concentration = label == 1 ? options.class1 : options.class0;
      std::vector<double> point(static_cast<std::size_t>(d));
      double norm = 0.0;
      for (std::size_t k = 0; k < point.size(); ++k) {
        point[k] = gamma_variate(rng, concentration[k]);
        norm += point[k] * point[k];
      }
      // The simplex point's scale (1 / sum) cancels in the normalization.
      for (const double v : point) part.features.push_back(static_cast<float>(v / std::sqrt(norm)));
      part.labels.push_back(label);
    }
  };
  draw(splits.train, options.train_size);
  draw(splits.test, options.test_size);
  return splits;
}

std::int64_t signal_coordinate_of(const Dataset& dataset, std::int64_t sample) {
  const std::int64_t d = dataset.sample_size();
  const float* row = dataset.features.data() + sample * d;
  for (std::int64_t j = 0; j < d; ++j) {
    if (row[j] != 0.0f) return j;
  }
  return -1;
}

}  // namespace descent::data
