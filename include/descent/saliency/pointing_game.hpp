// The pointing game (Zhang et al., ECCV 2016), as TorchRay scores it for NormGrad's benchmark: a
// saliency map hits when its maximum lies within `tolerance` pixels (Euclidean, strictly) of the
// object's box; the hit rate is hits / maps. Free of LibTorch: maps are row-major floats.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "descent/data/composite_images.hpp"

namespace descent::saliency {

struct Pixel {
  std::int64_t row = 0, column = 0;
};

// The first location of the map's maximum, in row-major order.
Pixel arg_max(std::span<const float> map, std::int64_t width);

// Whether `point` lies within `tolerance` pixels of a pixel of `box` (inside counts).
bool points_at(const Pixel& point, const data::PixelBox& box, double tolerance);

// Hit rate of `maps` ({N, height, width} row-major) against one box per map.
double pointing_game(std::span<const float> maps, std::int64_t height, std::int64_t width, const std::vector<data::PixelBox>& boxes,
                     double tolerance);

// The hit rate a uniformly random point would expect: the mean over boxes of the fraction of the
// map's pixels within tolerance of the box. The baseline any saliency map must beat.
double random_pointing_rate(std::int64_t height, std::int64_t width, const std::vector<data::PixelBox>& boxes, double tolerance);

}  // namespace descent::saliency
