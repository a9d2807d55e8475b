// Per-example loss tracking (Rosenfeld & Risteski, "Outliers with Opposing Signals Have an
// Outsized Effect on Neural Network Optimization", ICLR 2024): the losses of a fixed set of
// training examples, compared between measurements. At a loss spike (the set's mean loss rose by
// more than a relative threshold) the probe names the examples whose loss changed most, split into
// those whose loss rose and those whose loss fell: the two opposing groups of the paper, which pull
// the shared parameters in opposite directions. The tracker needs no LibTorch.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace descent::models {
struct Model;
}
namespace descent::data {
struct LabeledTensors;
}

namespace descent::diag {

// The losses of the first `count` examples of `data`, in order (model in eval mode, no
// gradients; implemented with the probe, src/diag/probes/example_losses_probe.cpp).
std::vector<double> example_losses(models::Model& model, const data::LabeledTensors& data, std::int64_t count);

struct LossSpike {
  double increase = 0.0;              // of the mean loss since the previous measurement
  std::vector<std::int64_t> examples;  // the top examples by |loss change|, largest first
  std::vector<double> changes;         // their loss changes
  int rose = 0, fell = 0;              // how many of them went up / down
  double rose_mean = 0.0, fell_mean = 0.0;  // their mean changes (0 when none)
};

class ExampleLossTracker {
public:
  ExampleLossTracker(double spike_threshold, int top) : threshold_(spike_threshold), top_(top) {}
  // One measurement: each example's loss, in a fixed order. Returns the spike when the mean rose
  // by more than threshold x the previous mean.
  std::optional<LossSpike> observe(const std::vector<double>& losses);
  double mean() const { return mean_; }

private:
  double threshold_;
  int top_;
  std::vector<double> previous_;
  double mean_ = 0.0;
};

}  // namespace descent::diag
