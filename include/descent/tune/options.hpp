// [tune]: a Bayesian-optimization (or random / grid) study over config keys; `descent tune`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "descent/core/fields.hpp"
#include "descent/tune/kinds.hpp"

namespace descent::tune {

enum class SamplerKind { gp, random, grid };
enum class PrunerKind { none, median, asha };

inline const EnumNames<Direction> kDirections = {{Direction::minimize, "minimize"}, {Direction::maximize, "maximize"}};
inline const EnumNames<SamplerKind> kSamplers = {{SamplerKind::gp, "gp"}, {SamplerKind::random, "random"}, {SamplerKind::grid, "grid"}};
inline const EnumNames<AcquisitionKind> kAcquisitions = {
    {AcquisitionKind::ei, "ei"}, {AcquisitionKind::ucb, "ucb"}, {AcquisitionKind::kg, "kg"}};
inline const EnumNames<Kernel> kKernels = {{Kernel::matern52, "matern52"}, {Kernel::squared_exponential, "squared_exponential"}};
inline const EnumNames<PrunerKind> kPruners = {{PrunerKind::none, "none"}, {PrunerKind::median, "median"}, {PrunerKind::asha, "asha"}};

struct TuneParam {
  std::string name;                  // a config key path, as in overrides: "optimizers[0].lr"
  std::string type = "float";        // float | int | categorical
  double low = 0.0, high = 1.0;
  bool log = false;
  std::vector<std::string> choices;  // categorical: TOML values as text
};

struct TuneOptions {
  std::int64_t trials = 0;                    // 0: the study has no [tune]
  std::string objective = "final_val_loss";   // a run summary value
  Direction direction = Direction::minimize;  // default: maximize for accuracies
  SamplerKind sampler = SamplerKind::gp;
  AcquisitionKind acquisition = AcquisitionKind::ei;  // gp
  Kernel kernel = Kernel::matern52;                   // gp
  std::int64_t initial_trials = 0;  // gp: quasi-random trials first (0: max(5, 2 x parameters))
  double ucb_beta = 4.0;
  std::int64_t grid_levels = 5;
  PrunerKind pruner = PrunerKind::none;
  std::string report = "val_loss";                      // the intermediate value reported after each epoch
  std::int64_t startup_trials = 5, warmup_steps = 0;    // median
  std::int64_t min_resource = 1, reduction_factor = 3;  // asha
  bool thresholdout = false;                            // answer the objective through Thresholdout
  double threshold = 0.04, sigma = 0.01;
  std::int64_t budget = 100;
  std::uint64_t seed = 0;
  std::vector<TuneParam> params;
};

}  // namespace descent::tune
