// Measures of the per-sample gradients g_1..g_b of a mini-batch, from the three statistics of
// batch/adaptive_batch.hpp (||g_i||^2, <g_i, g>, ||g||^2 with g their mean):
//   gradient noise scale (McCandlish, Kaplan, Amodei et al., "An Empirical Model of Large-Batch
//   Training", 2018): B_simple = tr(Sigma) / ||G||^2, the batch size beyond which larger batches
//   stop paying off, with tr(Sigma) the summed per-coordinate variance;
//   gradient coherence (Chatterjee & Zielinski, "On the Generalization Mystery in Deep Learning",
//   2022): alpha = E_{i,j}[<g_i, g_j>] / E_i[||g_i||^2] = ||g||^2 / mean ||g_i||^2, which is 1 when
//   all samples pull the same way and about 1/b when they are orthogonal.
#pragma once

#include "descent/batch/adaptive_batch.hpp"

namespace descent::diag {

double noise_scale(const batch::GradientStatistics& s);
double coherence(const batch::GradientStatistics& s);

}  // namespace descent::diag
