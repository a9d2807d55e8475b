// The gradient noise scale (McCandlish et al., 2018) and gradient coherence (Chatterjee &
// Zielinski, 2022) of the batch's first gradient_samples examples, from per-sample gradients
// (diag/gradient_statistics.hpp), every gradient_stats_every steps.
#include <torch/torch.h>

#include <algorithm>

#include "descent/batch/per_sample.hpp"
#include "descent/data/tensors.hpp"
#include "descent/diag/gradient_statistics.hpp"
#include "probes.hpp"

namespace descent::diag {
namespace {

class GradientNoise final : public Probe {
public:
  explicit GradientNoise(const DiagnosticsOptions& options) : every_(options.gradient_stats_every), samples_(options.gradient_samples) {}

  void after_backward(const StepView& view, MetricLog& log) override {
    const std::int64_t batch = view.x.size(0);
    if (view.step % every_ != 0 || batch < 2) return;
    const std::int64_t m = std::min(batch, samples_);
    const auto statistics = batch::per_sample_statistics(view.model, view.x.slice(0, 0, m), view.y.slice(0, 0, m), view.train.classification);
    log.add(view.step, "noise_scale", noise_scale(statistics));
    log.add(view.step, "coherence", coherence(statistics));
  }

private:
  std::int64_t every_, samples_;
};

}  // namespace

std::unique_ptr<Probe> gradient_noise_probe(const DiagnosticsOptions& options) { return std::make_unique<GradientNoise>(options); }

}  // namespace descent::diag
