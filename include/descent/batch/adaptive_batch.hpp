// Adaptive batch sizes from per-sample gradient statistics: the tests of AdAdaGrad (Lau, Liu &
// Kolar, "AdAdaGrad: Adaptive Batch Size Schemes for Adaptive Gradient Methods", arXiv
// 2402.11215; timlautk/AdAdaGrad tests.py). With per-sample gradients g_1..g_b, their mean g and
// unbiased variances (correction 1):
//   norm test (eta):          b_new = ceil( sum_j Var_i(g_ij) / (eta^2 ||g||^2) )
//   inner-product test (th):  b_new = ceil( Var_i(<g_i, g>) / (th^2 ||g||^4) )
//   orthogonality test (nu):  b_new = ceil( sum_j Var_i(g_ij - <g_i,g> g_j / ||g||^2) / (nu^2 ||g||^2) )
//   augmented IP test:        max(inner-product, orthogonality)
// and b_{k+1} = min(max_batch, max(b_k, b_new)): the batch never shrinks and is capped.
// Everything is computed from three per-sample quantities, never the gradients themselves:
// ||g_i||^2, <g_i, g> and ||g||^2 (so the closed forms for linear layers need no b x d matrix).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "descent/batch/options.hpp"

namespace descent::optim {
struct OptimizerDescription;
}

namespace descent::batch {

struct GradientStatistics {
  std::vector<double> norm_squared;  // ||g_i||^2 for each sample
  std::vector<double> dot_mean;      // <g_i, g> with g the mean gradient
  double mean_norm_squared = 0.0;    // ||g||^2
  std::int64_t samples() const { return static_cast<std::int64_t>(norm_squared.size()); }
};

// From explicit per-sample gradients (rows), for tests and small problems.
GradientStatistics statistics_of(const std::vector<std::vector<double>>& per_sample);

// sum_j Var_i(g_ij), Var_i(<g_i, g>), and sum_j Var_i of the component orthogonal to g.
double total_variance(const GradientStatistics& s);
double inner_product_variance(const GradientStatistics& s);
double orthogonal_variance(const GradientStatistics& s);


// The raw (real-valued) batch size the test asks for, before ceil. `threshold` is eta, theta or
// nu; the augmented test uses theta for its inner-product part and `orthogonality_threshold`
// (nu, 1 by default as in the reference code's examples) for its orthogonality part.
double raw_batch_size(const GradientStatistics& s, BatchTest test, double threshold, double orthogonality_threshold = 1.0);
// ceil(raw), at least 1.
std::int64_t requested_batch_size(const GradientStatistics& s, BatchTest test, double threshold,
                                  double orthogonality_threshold = 1.0);
// The rule: never decrease, never exceed max_batch.
std::int64_t next_batch_size(std::int64_t current, std::int64_t requested, std::int64_t max_batch);

// LR/batch scaling when the batch goes from `reference` to `batch`: linear (SGD; Goyal et al.,
// and Granziol et al.'s random-matrix argument), square root (Adam-like; Granziol et al., and
// Hoffer et al.'s rule for large batches), or none.
// `automatic` becomes the square-root rule for adaptive optimizers (OptimizerDescription::adaptive),
// linear for the others; lr_scale needs it resolved.
LrScaling resolve_scaling(LrScaling scaling, const optim::OptimizerDescription& optimizer);
double lr_scale(LrScaling rule, std::int64_t reference, std::int64_t batch);

// Hoffer et al.'s regime adaptation: as many updates as the reference batch would make, by
// multiplying the epochs by ceil(batch / reference).
std::int64_t regime_adapted_epochs(std::int64_t epochs, std::int64_t batch, std::int64_t reference);

}  // namespace descent::batch
