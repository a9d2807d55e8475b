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

struct SignalCoordinateOptions {
  std::int64_t train_size = 10000;
  std::int64_t test_size = 1000;
  std::int64_t features = 10;
};

// Shah, Jain & Netrapalli's (NeurIPS 2021) synthetic task (their SemiRandomSignalCoordinate):
// label y in {0, 1} uniform, x = (2y - 1) e_j, the signal coordinate j = 0 with probability 1/d and
// otherwise uniform over 1..d-1 (every coordinate with probability 1/d at d = 10). Every sample's
// only non-zero coordinate carries its label, so a faithful attribution points at it.
Splits signal_coordinate(const SignalCoordinateOptions& options, std::uint64_t seed);

// The coordinate of a signal_coordinate sample that carries its label.
std::int64_t signal_coordinate_of(const Dataset& dataset, std::int64_t sample);

}  // namespace descent::data
