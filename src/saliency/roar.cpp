#include "descent/saliency/roar.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "descent/core/error.hpp"

namespace descent::saliency {

data::Dataset keep_by_attribution(const data::Dataset& dataset, std::span<const float> attribution, double keep_fraction, Kept kept,
                                  float fill) {
  const std::int64_t d = dataset.sample_size();
  if (attribution.size() != dataset.features.size()) {
    throw ConfigError(fmt::format("DiffROAR: {} attribution values for {} features of '{}'", attribution.size(), dataset.features.size(), dataset.name));
  }
  if (!(keep_fraction >= 0.0 && keep_fraction <= 1.0)) throw ConfigError(fmt::format("DiffROAR: keep fraction {} outside [0, 1]", keep_fraction));
  const auto keep = static_cast<std::size_t>(std::llround(keep_fraction * static_cast<double>(d)));
  data::Dataset masked = dataset;
  std::vector<std::int64_t> order(static_cast<std::size_t>(d));
  for (std::int64_t i = 0; i < dataset.size(); ++i) {
    const float* scores = attribution.data() + i * d;
    std::iota(order.begin(), order.end(), 0);
    // Stable, so equal scores keep index order and the masks are deterministic.
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return kept == Kept::top ? std::abs(scores[a]) > std::abs(scores[b]) : std::abs(scores[a]) < std::abs(scores[b]);
    });
    float* row = masked.features.data() + i * d;
    for (std::size_t k = keep; k < order.size(); ++k) row[order[k]] = fill;
  }
  return masked;
}

}  // namespace descent::saliency
