// The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks",
// WACV 2017; popularized by fastai's lr_find): train from the study's initial state while the
// rate grows exponentially from `start` to `end`, record the loss, stop once the smoothed loss
// exceeds 4x its minimum (or goes non-finite), and suggest the rate where the smoothed loss falls
// fastest against log(lr).
#pragma once

#include <string>
#include <vector>

#include "descent/data/dataset.hpp"
#include "descent/train/trainer.hpp"

namespace descent::train {

struct LrFindOptions {
  double start = 1e-7;
  double end = 10.0;
  int steps = 200;
  double smoothing = 0.98;  // exponential average of the loss, bias-corrected
};

struct LrFindResult {
  std::vector<double> learning_rates;
  std::vector<double> losses;
  std::vector<double> smoothed;
  double suggestion = 0.0;
  bool stopped_early = false;  // the loss blew up before `end`
};

// Runs the test with the config's first optimizer entry and first seed.
// `run` gives the model, data handling and optimizer; its schedule and budget are replaced.
LrFindResult find_learning_rate(TrainingRun run, const data::Splits& splits, const LrFindOptions& options);

// Exponential average with bias correction: s_t = (beta a_t-1 + (1 - beta) x_t) / (1 - beta^t).
std::vector<double> smooth_losses(const std::vector<double>& losses, double beta);

// The rate at the steepest descent of the smoothed loss against log(lr), looked for before the
// minimum of the smoothed loss.
double suggest_learning_rate(const std::vector<double>& learning_rates, const std::vector<double>& smoothed);

}  // namespace descent::train
