// `descent diagnose RUN`: the training-dynamics probes on a stored run's final parameters (kept
// with train.save_model): the top Hessian eigenvalues by Lanczos, Hutchinson's trace, the spectral
// density by stochastic Lanczos quadrature, the gradient noise scale and coherence, per-layer
// norms. Prints the figures and writes runs/reports/diagnose-run-N/report.md and report.html (with
// the density plot).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace descent::study {

struct DiagnoseRunOptions {
  std::filesystem::path store_path = "runs/descent.db";
  std::filesystem::path report_dir = "runs/reports";
  std::int64_t hessian_samples = 1000;  // the first N training samples define the loss
  int lanczos_iterations = 30;
  int top_eigenvalues = 3;
  int trace_samples = 20;
  int density_probes = 8;
  int density_iterations = 30;
  std::int64_t gradient_samples = 256;
  int threads = 1;
};

struct DiagnoseRunResult {
  std::map<std::string, double> values;  // sharpness, eigenvalue/k, hessian_trace, noise_scale, coherence, ...
  std::vector<double> density_nodes, density_weights;
  std::filesystem::path report;
};

// Throws Error (usage) for an unknown run, and naming the file when the run kept no parameters.
DiagnoseRunResult diagnose_run(std::int64_t run_id, const DiagnoseRunOptions& options);

}  // namespace descent::study
