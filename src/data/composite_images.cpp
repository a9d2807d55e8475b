#include "descent/data/composite_images.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"

namespace descent::data {
namespace {

struct ImageShape {
  std::int64_t channels, height, width;
};

ImageShape image_shape(const Dataset& images) {
  if (images.sample_shape.size() != 3) {
    throw ConfigError(fmt::format("dataset '{}': images of shape {{C, H, W}} expected, its samples have {} dimensions",
                                  images.name, images.sample_shape.size()));
  }
  return {images.sample_shape[0], images.sample_shape[1], images.sample_shape[2]};
}

// A dataset with the labels of `source` and no features yet.
Dataset relabelled(const Dataset& source, std::string name, std::vector<std::int64_t> sample_shape) {
  Dataset result = source;
  result.name = std::move(name);
  result.sample_shape = std::move(sample_shape);
  result.features.clear();
  return result;
}

// The null block: a square outline of value 1 with side half the block's smaller side, centred.
std::vector<float> null_block(const ImageShape& shape) {
  std::vector<float> block(static_cast<std::size_t>(shape.channels * shape.height * shape.width), 0.0f);
  const std::int64_t side = std::max<std::int64_t>(2, std::min(shape.height, shape.width) / 2);
  const std::int64_t top = (shape.height - side) / 2, left = (shape.width - side) / 2;
  for (std::int64_t c = 0; c < shape.channels; ++c) {
    for (std::int64_t r = top; r < top + side; ++r) {
      for (std::int64_t q = left; q < left + side; ++q) {
        const bool edge = r == top || r == top + side - 1 || q == left || q == left + side - 1;
        if (edge) block[static_cast<std::size_t>((c * shape.height + r) * shape.width + q)] = 1.0f;
      }
    }
  }
  return block;
}

}  // namespace

Dataset average_pooled(const Dataset& images, std::int64_t factor) {
  const ImageShape shape = image_shape(images);
  if (factor < 1 || shape.height % factor != 0 || shape.width % factor != 0) {
    throw ConfigError(fmt::format("dataset '{}': {}x{} images do not pool by {}", images.name, shape.height, shape.width, factor));
  }
  const std::int64_t height = shape.height / factor, width = shape.width / factor;
  Dataset pooled = relabelled(images, images.name, {shape.channels, height, width});
  pooled.features.resize(static_cast<std::size_t>(images.size() * shape.channels * height * width));
  const float scale = 1.0f / static_cast<float>(factor * factor);
  std::size_t out = 0;
  for (std::int64_t i = 0; i < images.size(); ++i) {
    const float* image = images.features.data() + i * images.sample_size();
    for (std::int64_t c = 0; c < shape.channels; ++c) {
      for (std::int64_t r = 0; r < height; ++r) {
        for (std::int64_t q = 0; q < width; ++q) {
          float sum = 0.0f;
          for (std::int64_t dr = 0; dr < factor; ++dr) {
            for (std::int64_t dq = 0; dq < factor; ++dq) sum += image[(c * shape.height + r * factor + dr) * shape.width + q * factor + dq];
          }
          pooled.features[out++] = sum * scale;
        }
      }
    }
  }
  return pooled;
}

BlockImages block_images(const Dataset& images, std::uint64_t seed) {
  const ImageShape shape = image_shape(images);
  const std::vector<float> null = null_block(shape);
  BlockImages result{relabelled(images, images.name + "/blocks", {shape.channels, 2 * shape.height, shape.width}), {}};
  Rng rng(seed);
  const std::int64_t plane = shape.height * shape.width;
  for (std::int64_t i = 0; i < images.size(); ++i) {
    const bool signal_on_top = rng.below(2) == 1;
    result.signal_on_top.push_back(signal_on_top ? 1 : 0);
    const float* image = images.features.data() + i * images.sample_size();
    for (std::int64_t c = 0; c < shape.channels; ++c) {
      const float* signal = image + c * plane;
      const float* blank = null.data() + c * plane;
      const float* top = signal_on_top ? signal : blank;
      const float* bottom = signal_on_top ? blank : signal;
      result.dataset.features.insert(result.dataset.features.end(), top, top + plane);
      result.dataset.features.insert(result.dataset.features.end(), bottom, bottom + plane);
    }
  }
  return result;
}

CanvasImages pasted_on_canvas(const Dataset& images, std::int64_t canvas, double noise, double object_threshold, std::uint64_t seed) {
  const ImageShape shape = image_shape(images);
  if (shape.channels != 1 || shape.height > canvas || shape.width > canvas) {
    throw ConfigError(fmt::format("dataset '{}': {}x{}x{} images do not paste onto a {}x{} canvas", images.name, shape.channels,
                                  shape.height, shape.width, canvas, canvas));
  }
  CanvasImages result{relabelled(images, images.name + "/canvas", {1, canvas, canvas}), {}};
  Rng rng(seed);
  for (std::int64_t i = 0; i < images.size(); ++i) {
    std::vector<float> pixels(static_cast<std::size_t>(canvas * canvas));
    for (auto& pixel : pixels) pixel = static_cast<float>(noise * rng.uniform());
    const auto top = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(canvas - shape.height + 1)));
    const auto left = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(canvas - shape.width + 1)));
    PixelBox box{canvas, canvas, 0, 0};
    const float* image = images.features.data() + i * images.sample_size();
    for (std::int64_t r = 0; r < shape.height; ++r) {
      for (std::int64_t q = 0; q < shape.width; ++q) {
        const float value = image[r * shape.width + q];
        float& pixel = pixels[static_cast<std::size_t>((top + r) * canvas + left + q)];
        pixel = std::max(pixel, value);
        if (value > object_threshold) {
          box = {std::min(box.top, top + r), std::min(box.left, left + q), std::max(box.bottom, top + r + 1), std::max(box.right, left + q + 1)};
        }
      }
    }
    if (box.bottom == 0) box = {top, left, top + shape.height, left + shape.width};  // no bright pixel: the whole paste
    result.boxes.push_back(box);
    result.dataset.features.insert(result.dataset.features.end(), pixels.begin(), pixels.end());
  }
  return result;
}

}  // namespace descent::data
