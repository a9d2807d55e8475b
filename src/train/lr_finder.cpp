#include "descent/train/lr_finder.hpp"

#include <algorithm>
#include <cmath>

#include "descent/train/trainer.hpp"

namespace descent::train {
namespace {

// Records each step's rate and loss; stops the run once the smoothed loss has blown up.
class RangeRecorder : public Callback {
public:
  explicit RangeRecorder(double smoothing) : smoothing_(smoothing) {}
  bool on_step_end(const StepEvent& event) override {
    result.learning_rates.push_back(event.learning_rate);
    result.losses.push_back(event.loss);
    average_ = smoothing_ * average_ + (1 - smoothing_) * event.loss;
    const double smoothed = average_ / (1 - std::pow(smoothing_, static_cast<double>(result.losses.size())));
    result.smoothed.push_back(smoothed);
    best_ = std::min(best_, smoothed);
    if (result.losses.size() > 10 && smoothed > 4 * best_) {
      result.stopped_early = true;
      return false;
    }
    return true;
  }
  LrFindResult result;

private:
  double smoothing_;
  double average_ = 0.0;
  double best_ = INFINITY;
};

}  // namespace

std::vector<double> smooth_losses(const std::vector<double>& losses, double beta) {
  std::vector<double> out;
  double average = 0.0;
  for (std::size_t t = 0; t < losses.size(); ++t) {
    average = beta * average + (1 - beta) * losses[t];
    out.push_back(average / (1 - std::pow(beta, static_cast<double>(t + 1))));
  }
  return out;
}

double suggest_learning_rate(const std::vector<double>& learning_rates, const std::vector<double>& smoothed) {
  if (learning_rates.size() < 3) return learning_rates.empty() ? 0.0 : learning_rates.front();
  const auto minimum = static_cast<std::size_t>(std::min_element(smoothed.begin(), smoothed.end()) - smoothed.begin());
  // The first tenth is skipped: there the average still rests on few losses and is mostly noise.
  const std::size_t first = std::max<std::size_t>(1, learning_rates.size() / 10);
  std::size_t best = first;
  double steepest = INFINITY;
  for (std::size_t i = first; i < std::max(minimum, first + 1); ++i) {
    const double slope = (smoothed[i] - smoothed[i - 1]) / (std::log(learning_rates[i]) - std::log(learning_rates[i - 1]));
    if (slope < steepest) {
      steepest = slope;
      best = i;
    }
  }
  return learning_rates[best];
}

LrFindResult find_learning_rate(TrainingRun run, const data::Splits& splits, const LrFindOptions& options) {
  run.optimizer.hyper["lr"] = options.start;
  // An exponential schedule with growth factor > 1 (built here: configs only allow decay).
  run.schedule = schedule::default_spec("exponential");
  run.schedule.params["gamma"] = std::pow(options.end / options.start, 1.0 / (options.steps - 1));
  run.train.max_steps = options.steps;
  const std::int64_t per_epoch = (splits.train.size() + run.train.batch_size - 1) / run.train.batch_size;
  run.train.epochs = (options.steps + per_epoch - 1) / per_epoch;
  run.train.eval_every_samples = 0;
  RangeRecorder recorder(options.smoothing);
  Callback* callbacks[] = {&recorder};
  const RunResult outcome = train(run, splits, callbacks);
  recorder.result.stopped_early = recorder.result.stopped_early || outcome.end == RunEnd::diverged;
  recorder.result.suggestion = suggest_learning_rate(recorder.result.learning_rates, recorder.result.smoothed);
  return recorder.result;
}

}  // namespace descent::train
