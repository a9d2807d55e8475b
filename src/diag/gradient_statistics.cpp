#include "descent/diag/gradient_statistics.hpp"

#include <numeric>

namespace descent::diag {

double noise_scale(const batch::GradientStatistics& s) { return batch::total_variance(s) / s.mean_norm_squared; }

double coherence(const batch::GradientStatistics& s) {
  const double mean_square = std::accumulate(s.norm_squared.begin(), s.norm_squared.end(), 0.0) / static_cast<double>(s.samples());
  return s.mean_norm_squared / mean_square;
}

}  // namespace descent::diag
