// Samplers propose the next trial's parameters from the trials so far. Every proposal depends only
// on the seed, the trial number and the trials it is given, so a resumed or multi-worker study is
// reproducible from its store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "descent/tune/gaussian_process.hpp"
#include "descent/tune/search_space.hpp"
#include "descent/tune/trial.hpp"

namespace descent::tune {

class Sampler {
public:
  virtual ~Sampler() = default;
  virtual Point suggest(const SearchSpace& space, const std::vector<Trial>& trials, std::int64_t number) = 0;
};

// Uniform in the unit cube (so log-uniform on log parameters), one independent stream per trial.
class RandomSampler final : public Sampler {
public:
  explicit RandomSampler(std::uint64_t seed) : seed_(seed) {}
  Point suggest(const SearchSpace& space, const std::vector<Trial>& trials, std::int64_t number) override;

private:
  std::uint64_t seed_;
};

// The grid's points in order (`levels` per numeric parameter), then around again.
class GridSampler final : public Sampler {
public:
  GridSampler(const SearchSpace& space, int levels) : points_(grid(space, levels)) {}
  Point suggest(const SearchSpace& space, const std::vector<Trial>& trials, std::int64_t number) override;
  std::size_t size() const { return points_.size(); }

private:
  std::vector<Point> points_;
};

struct BayesianOptions {
  AcquisitionKind acquisition = AcquisitionKind::ei;
  Kernel kernel = Kernel::matern52;
  int initial_trials = 10;          // quasi-random (Halton) design before the GP takes over
  double ucb_beta = 4.0;
  int kg_samples = 128;
  int acquisition_starts = 10;
  int kg_starts = 3;  // a KG value (and its difference gradient) costs tens of EI values: fewer climbs
  int fit_starts = 2;
  Direction direction = Direction::minimize;
};

// GP-based Bayesian optimization (Frazier 2018): a quasi-random initial design, then the argmax of
// the acquisition under a GP fitted to the COMPLETE trials. RUNNING trials enter as fantasies at
// the posterior mean ("kriging believer") so concurrent workers do not propose the same point.
class BayesianSampler final : public Sampler {
public:
  BayesianSampler(BayesianOptions options, std::uint64_t seed) : options_(std::move(options)), seed_(seed) {}
  Point suggest(const SearchSpace& space, const std::vector<Trial>& trials, std::int64_t number) override;

private:
  BayesianOptions options_;
  std::uint64_t seed_;
};

}  // namespace descent::tune
