#include "descent/data/synthetic.hpp"

#include <cmath>

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

}  // namespace

Splits gaussian_mixture(const GaussianMixtureOptions& options, std::uint64_t seed) {
  Rng rng(seed);
  const std::int64_t d = options.features;
  std::vector<double> means(static_cast<std::size_t>(options.classes * d));
  for (auto& value : means) value = rng.normal() * options.separation;

  Splits splits{empty_like("gaussian-mixture", Task::classification, d),
                empty_like("gaussian-mixture/validation", Task::classification, d),
                empty_like("gaussian-mixture/test", Task::classification, d)};
  for (Dataset* part : {&splits.train, &splits.validation, &splits.test}) part->num_classes = options.classes;
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

  Splits splits{empty_like("linear-regression", Task::regression, d),
                empty_like("linear-regression/validation", Task::regression, d),
                empty_like("linear-regression/test", Task::regression, d)};
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
  Splits splits{empty_like("signal-coordinate", Task::classification, d), empty_like("signal-coordinate/validation", Task::classification, d),
                empty_like("signal-coordinate/test", Task::classification, d)};
  for (Dataset* part : {&splits.train, &splits.validation, &splits.test}) part->num_classes = 2;
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

std::int64_t signal_coordinate_of(const Dataset& dataset, std::int64_t sample) {
  const std::int64_t d = dataset.sample_size();
  const float* row = dataset.features.data() + sample * d;
  for (std::int64_t j = 0; j < d; ++j) {
    if (row[j] != 0.0f) return j;
  }
  return -1;
}

}  // namespace descent::data
