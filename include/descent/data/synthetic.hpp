// Seeded synthetic datasets for tests and experiments.
#pragma once

#include <cstdint>
#include <vector>

#include "descent/data/dataset.hpp"

namespace descent {
class Rng;
}

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

struct SpiralOptions {
  std::int64_t train_size = 1000;
  std::int64_t test_size = 1000;
  double noise = 0.1;  // standard deviation of the Gaussian jitter added to each point
};

// Two interleaved spirals in the plane (Lang & Witbrock's benchmark; the data set of neural-ODE
// classification demos): class c in {0, 1} with probability 1/2, angle theta uniform in
// [0, 3 pi], radius theta / (3 pi), the point r (cos(theta + c pi), sin(theta + c pi)) plus
// N(0, noise^2 I). No linear classifier separates them; a flow of the plane must untwist them.
Splits two_spirals(const SpiralOptions& options, std::uint64_t seed);

struct XorClusterOptions {
  std::int64_t train_size = 200;
  std::int64_t test_size = 2000;
  std::int64_t features = 4000;  // the dimension p, much larger than train_size
  double mean_norm = 15.0;       // ||mu_1|| = ||mu_2||
  double label_noise = 0.1;      // probability that a training label is flipped
};

// Xu, Wang, Frei, Vardi & Hu's XOR cluster data (ICLR 2024): x = mu + xi with mu uniform over
// {+mu_1, -mu_1, +mu_2, -mu_2} and xi ~ N(0, I_p); class 1 for the clusters +-mu_1, class 0 for
// +-mu_2, so no linear classifier beats chance. Each training label is flipped with probability
// label_noise; test labels are clean. mu_1 = mean_norm e_0 and mu_2 = mean_norm e_1: the noise is
// rotation invariant, so every orthogonal pair of equal norm gives the same distribution.
Splits xor_clusters(const XorClusterOptions& options, std::uint64_t seed);

struct DirichletSphereOptions {
  std::int64_t train_size = 500;
  std::int64_t test_size = 1000;
  std::vector<double> class1 = {1.0, 2.0};  // Dirichlet concentrations of class 1
  std::vector<double> class0 = {2.0, 1.0};  // and of class 0 (same length: the dimension)
  double class1_prior = 0.4;
};

// Radhakrishnan, Belkin & Uhler's two-class data (uhlerlab/inf_depth_ntks, dataset.py): a sample
// of class c is a Dirichlet(concentrations of c) draw on the simplex, scaled to unit length, so it
// lies on the sphere's positive orthant and every two samples have a non-negative dot product.
// Class 1 with probability class1_prior. Throws ConfigError for concentrations that are not
// positive or of unequal lengths (below 2).
Splits dirichlet_sphere(const DirichletSphereOptions& options, std::uint64_t seed);

// A Gamma(shape, 1) draw from `rng` (Marsaglia & Tsang 2000; shape < 1 by Gamma(shape + 1) U^(1/shape)).
double gamma_variate(Rng& rng, double shape);

// The coordinate of a signal_coordinate sample that carries its label.
std::int64_t signal_coordinate_of(const Dataset& dataset, std::int64_t sample);

}  // namespace descent::data
