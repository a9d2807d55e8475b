// ROAR and DiffROAR (Hooker et al., NeurIPS 2019; Shah, Jain & Netrapalli, NeurIPS 2021): judge an
// attribution by retraining on inputs where only its top-k (or bottom-k) fraction of coordinates is
// kept and the rest replaced by a fill value. DiffROAR(k) = Acc(top-k kept) - Acc(bottom-k kept):
// positive when the attribution ranks the discriminative coordinates first, about 0 for a random
// one. Ranking is per sample over every coordinate by |attribution|, as the reference code ranks
// it (saliency_utils.get_attribution_indices). Free of LibTorch.
#pragma once

#include <cstdint>
#include <span>

#include "descent/data/dataset.hpp"

namespace descent::saliency {

enum class Kept { top, bottom };

// `dataset` with, in each sample, only round(keep_fraction * D) coordinates kept: those of largest
// (top) or smallest (bottom) |attribution|, ties by index; the others set to `fill`.
// `attribution` has one value per feature of `dataset`.
data::Dataset keep_by_attribution(const data::Dataset& dataset, std::span<const float> attribution, double keep_fraction, Kept kept,
                                  float fill);

}  // namespace descent::saliency
