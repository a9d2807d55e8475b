#include "probes.hpp"

namespace descent::diag {

std::vector<std::unique_ptr<Probe>> make_probes(const DiagnosticsOptions& options) {
  std::vector<std::unique_ptr<Probe>> probes;
  probes.push_back(gradient_norms_probe());  // always: schedule refinement learns from it
  if (options.gradient_stats_every > 0) probes.push_back(gradient_noise_probe(options));
  if (options.layer_norms) probes.push_back(layer_norms_probe());
  if (options.example_losses_every > 0) probes.push_back(example_losses_probe(options));
  if (options.sharpness_every > 0) probes.push_back(sharpness_probe(options));
  return probes;
}

}  // namespace descent::diag
