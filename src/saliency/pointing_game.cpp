#include "descent/saliency/pointing_game.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "descent/core/error.hpp"

namespace descent::saliency {

Pixel arg_max(std::span<const float> map, std::int64_t width) {
  const auto best = static_cast<std::int64_t>(std::max_element(map.begin(), map.end()) - map.begin());
  return {best / width, best % width};
}

bool points_at(const Pixel& point, const data::PixelBox& box, double tolerance) {
  // Distance from the point to the nearest pixel of the box (0 inside).
  const auto gap = [](std::int64_t x, std::int64_t low, std::int64_t high_exclusive) {
    return static_cast<double>(std::max<std::int64_t>({low - x, 0, x - (high_exclusive - 1)}));
  };
  const double rows = gap(point.row, box.top, box.bottom), columns = gap(point.column, box.left, box.right);
  return rows * rows + columns * columns < tolerance * tolerance || (rows == 0 && columns == 0);
}

double pointing_game(std::span<const float> maps, std::int64_t height, std::int64_t width, const std::vector<data::PixelBox>& boxes,
                     double tolerance) {
  const auto plane = static_cast<std::size_t>(height * width);
  if (maps.size() != plane * boxes.size() || boxes.empty()) {
    throw ConfigError(fmt::format("pointing game: {} map values for {} boxes of {}x{}", maps.size(), boxes.size(), height, width));
  }
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < boxes.size(); ++i) hits += points_at(arg_max(maps.subspan(i * plane, plane), width), boxes[i], tolerance);
  return static_cast<double>(hits) / static_cast<double>(boxes.size());
}

double random_pointing_rate(std::int64_t height, std::int64_t width, const std::vector<data::PixelBox>& boxes, double tolerance) {
  double total = 0.0;
  for (const auto& box : boxes) {
    std::int64_t inside = 0;
    for (std::int64_t r = 0; r < height; ++r) {
      for (std::int64_t q = 0; q < width; ++q) inside += points_at({r, q}, box, tolerance);
    }
    total += static_cast<double>(inside) / static_cast<double>(height * width);
  }
  return total / static_cast<double>(boxes.size());
}

}  // namespace descent::saliency
