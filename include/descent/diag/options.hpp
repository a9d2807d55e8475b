// [diagnostics]: the training-dynamics probes measured during a run. Each has a cadence and a
// cost budget (Hessian-vector products, per-sample gradients); 0 turns a probe off.
#pragma once

#include <cstdint>
#include <limits>

#include "descent/core/fields.hpp"

namespace descent::diag {

struct DiagnosticsOptions {
  std::int64_t sharpness_every = 0;      // steps between top-Hessian-eigenvalue measurements
  std::int64_t hessian_samples = 1000;   // the first N training samples define the measured loss
  std::int64_t lanczos_iterations = 20;  // HVPs per measurement
  std::int64_t trace_samples = 0;        // with the sharpness: Hutchinson's tr(H) from this many HVPs (0: off)
  std::int64_t gradient_stats_every = 0; // steps between noise-scale and coherence measurements
  std::int64_t gradient_samples = 256;   // per-sample gradients per measurement (the batch's first)
  bool layer_norms = false;              // per-layer gradient norm and update/parameter ratio at log steps
  std::int64_t example_losses_every = 0;      // steps between per-example loss measurements (0: off)
  std::int64_t example_losses_samples = 512;  // the first N training samples are tracked
  double spike_threshold = 0.05;  // a rise of the tracked mean loss by this fraction is a spike
  std::int64_t spike_top = 20;    // examples named at a spike
};

// [diagnostics]. The example-loss probe's keys are stored only when it is on, as they were.
template <class Fields>
void describe(DiagnosticsOptions& o, Fields& f) {
  f.integer("sharpness_every", o.sharpness_every, 0);
  f.integer("hessian_samples", o.hessian_samples, 1);
  f.integer("lanczos_iterations", o.lanczos_iterations, 1, 10000);
  f.integer("trace_samples", o.trace_samples, 0, 100000);
  f.integer("gradient_stats_every", o.gradient_stats_every, 0);
  f.integer("gradient_samples", o.gradient_samples, 2, 65536);
  f.boolean("layer_norms", o.layer_norms);
  const Field example_losses = stored_if(o.example_losses_every > 0);
  f.integer("example_losses_every", o.example_losses_every, 0, std::numeric_limits<std::int64_t>::max(), example_losses);
  f.integer("example_losses_samples", o.example_losses_samples, 1, std::numeric_limits<std::int64_t>::max(), example_losses);
  f.real("spike_threshold", o.spike_threshold, 0.0, 1e3, false, example_losses);
  f.integer("spike_top", o.spike_top, 1, 100000, example_losses);
}

}  // namespace descent::diag
