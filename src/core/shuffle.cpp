#include "descent/core/shuffle.hpp"

#include <numeric>
#include <utility>

namespace descent {

std::vector<std::int64_t> shuffled_indices(std::int64_t n, Rng& rng) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  for (std::int64_t i = n - 1; i > 0; --i) {
    std::swap(order[static_cast<std::size_t>(i)], order[rng.below(static_cast<std::uint64_t>(i) + 1)]);
  }
  return order;
}

}  // namespace descent
