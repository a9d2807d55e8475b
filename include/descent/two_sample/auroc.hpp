// The area under the ROC curve of a detector's scores: the probability that a positive scores above
// a negative, ties counting one half (the Mann-Whitney U statistic over n_pos n_neg). Free of LibTorch.
#pragma once

#include <span>

namespace descent::two_sample {

// Higher scores mean "more likely positive". Throws ConfigError when either side is empty.
double auroc(std::span<const double> negatives, std::span<const double> positives);

}  // namespace descent::two_sample
