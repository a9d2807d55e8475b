#include "descent/two_sample/auroc.hpp"

#include <algorithm>
#include <vector>

#include "descent/core/error.hpp"

namespace descent::two_sample {

double auroc(std::span<const double> negatives, std::span<const double> positives) {
  if (negatives.empty() || positives.empty()) throw ConfigError("AUROC needs at least one negative and one positive score");
  // Rank-sum form: sort everything once, give tied scores their average rank.
  struct Scored {
    double score;
    bool positive;
  };
  std::vector<Scored> all;
  for (const double s : negatives) all.push_back({s, false});
  for (const double s : positives) all.push_back({s, true});
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score < b.score; });
  double positive_rank_sum = 0.0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].score == all[i].score) ++j;
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
    for (std::size_t k = i; k < j; ++k) positive_rank_sum += all[k].positive ? average_rank : 0.0;
    i = j;
  }
  const auto n_pos = static_cast<double>(positives.size()), n_neg = static_cast<double>(negatives.size());
  return (positive_rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
}

}  // namespace descent::two_sample
