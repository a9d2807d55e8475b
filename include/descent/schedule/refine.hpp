// Schedules refined from a previous run's gradient norms: Defazio, Cutkosky, Mehta & Mishchenko,
// "When, Why and How Much? Adaptive Learning Rate Scheduling by Refinement" (arXiv 2310.07831;
// v2 "Optimal Linear Decay Learning Rate Schedules and Further Refinements"), following
// facebookresearch/adaptive_scheduling (find_schedule.py):
//   1. smooth: upsample a trace shorter than 10,000 points to 10,000 (np.interp), median-filter
//      with width w = 2 floor(0.1 n / 2) + 1 after padding 2w values at the end (np.pad 'reflect',
//      scipy.ndimage.median_filter mode 'nearest'), resample to 10,000 points;
//   2. weights w_t = G_t^-2 for SGD-like optimizers (l2 norms), G_t^-1 for Adam-like (l1 norms);
//   3. s_t = w_t sum_{p>t} w_p / sum_p w_p  (s_{T-1} = 0);
//   4. normalize to a maximum of 1 (the study's lr is then the peak).
// Constant norms give exactly linear decay.
#pragma once

#include <string>
#include <vector>

namespace descent::schedule {

enum class NormKind { l2, l1 };

// Boundary handling of scipy.ndimage filters.
enum class FilterMode {
  nearest,  // a a a | a b c d | d d d
  reflect,  // b a | a b c d | d c   (the edge value repeated: scipy's 'reflect')
};

// scipy.ndimage.median_filter(x, size, mode=...) for one-dimensional x (size odd).
std::vector<double> median_filter(const std::vector<double>& x, int size, FilterMode mode);

// numpy.pad(x, (0, count), 'reflect'): mirrored without repeating the edge (d c b after a b c d).
std::vector<double> pad_end_reflect(const std::vector<double>& x, std::size_t count);

// numpy.interp of x (taken at evenly spaced points over [0, 1]) to `points` evenly spaced points.
std::vector<double> resample(const std::vector<double>& x, std::size_t points);

// Steps 2-4 on a given (already smoothed) trace: the closed-form schedule, normalized to max 1.
std::vector<double> closed_form_schedule(const std::vector<double>& norms, NormKind kind);

struct RefineOptions {
  NormKind norm = NormKind::l2;
  bool smooth = true;
  std::size_t grid = 10000;
};

// The whole refinement of a gradient-norm trace; values on an even grid of options.grid points.
std::vector<double> refine(const std::vector<double>& gradient_norms, const RefineOptions& options);

// l1 for adaptive optimizers (per-coordinate preconditioning: OptimizerDescription::adaptive),
// l2 for SGD-like ones.
inline NormKind norm_for(bool adaptive) { return adaptive ? NormKind::l1 : NormKind::l2; }

}  // namespace descent::schedule
