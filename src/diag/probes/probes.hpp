// The shipped probes, one file each; make_probes (probes.cpp) picks them from the options.
#pragma once

#include <memory>

#include "descent/diag/probe.hpp"

namespace descent::diag {

std::unique_ptr<Probe> gradient_norms_probe();
std::unique_ptr<Probe> gradient_noise_probe(const DiagnosticsOptions& options);
std::unique_ptr<Probe> layer_norms_probe();
std::unique_ptr<Probe> example_losses_probe(const DiagnosticsOptions& options);
std::unique_ptr<Probe> sharpness_probe(const DiagnosticsOptions& options);

}  // namespace descent::diag
