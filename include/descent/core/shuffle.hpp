// A seeded random order of 0..n-1 (Fisher-Yates: the same Rng state gives the same order on every
// machine, unlike std::shuffle, whose algorithm the standard leaves open).
#pragma once

#include <cstdint>
#include <vector>

#include "descent/core/rng.hpp"

namespace descent {

std::vector<std::int64_t> shuffled_indices(std::int64_t n, Rng& rng);

}  // namespace descent
