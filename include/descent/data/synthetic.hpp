// Seeded synthetic datasets for tests and experiments.
#pragma once

#include <cstdint>

#include "descent/data/dataset.hpp"

namespace descent::data {

struct GaussianMixtureOptions {
  std::int64_t train_size = 2000;
  std::int64_t test_size = 500;
  std::int64_t features = 20;
  std::int64_t classes = 4;
  double separation = 2.0;  // distance scale of the class means; noise has unit variance
};

// Each class is an isotropic unit Gaussian around a mean drawn from N(0, separation² I / d)·√d.
Splits gaussian_mixture(const GaussianMixtureOptions& options, std::uint64_t seed);

struct LinearRegressionOptions {
  std::int64_t train_size = 2000;
  std::int64_t test_size = 500;
  std::int64_t features = 20;
  double noise = 0.1;  // standard deviation of the additive target noise
};

// y = w·x + noise with x ~ N(0, I) and w ~ N(0, I/d).
Splits linear_regression(const LinearRegressionOptions& options, std::uint64_t seed);

}  // namespace descent::data
