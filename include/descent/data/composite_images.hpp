// Images built from a dataset's images, for attribution experiments where the ground truth of
// "where the label is" is known by construction.
#pragma once

#include <cstdint>
#include <vector>

#include "descent/data/dataset.hpp"

namespace descent::data {

// Each {C, H, W} image averaged over factor x factor blocks (H and W must divide): Fashion-MNIST's
// 28x28 at factor 2 is the 14x14 that keeps small attribution experiments fast.
Dataset average_pooled(const Dataset& images, std::int64_t factor);

// BlockMNIST (Shah, Jain & Netrapalli, NeurIPS 2021), built on any image dataset: each image of
// {C, H, W} becomes {C, 2H, W}, the image (the signal block) stacked with a fixed "null" block, in an
// order drawn per image. The null block, a square outline of value 1 in the middle of the block, is
// the same for every label, so the label depends on the signal block only.
struct BlockImages {
  Dataset dataset;
  std::vector<std::uint8_t> signal_on_top;  // per image: 1 when the signal block is the top half
};
BlockImages block_images(const Dataset& images, std::uint64_t seed);

// A box of pixels: rows [top, bottom), columns [left, right).
struct PixelBox {
  std::int64_t top = 0, left = 0, bottom = 0, right = 0;
};

// Each {1, h, w} image pasted at a uniformly drawn position of a {1, canvas, canvas} canvas of
// uniform noise in [0, noise] (a pixel keeps the larger of the two), and the box around the pasted
// object's pixels brighter than `object_threshold`: the synthetic pointing game's ground truth.
struct CanvasImages {
  Dataset dataset;
  std::vector<PixelBox> boxes;
};
CanvasImages pasted_on_canvas(const Dataset& images, std::int64_t canvas, double noise, double object_threshold, std::uint64_t seed);

}  // namespace descent::data
