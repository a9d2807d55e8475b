// [diagnostics]: the training-dynamics probes measured during a run. Each has a cadence and a
// cost budget (Hessian-vector products, per-sample gradients); 0 turns a probe off.
#pragma once

#include <cstdint>

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

}  // namespace descent::diag
