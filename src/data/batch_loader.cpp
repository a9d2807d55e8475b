#include "descent/data/batch_loader.hpp"

#include <algorithm>
#include <numeric>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"

namespace descent::data {

BatchLoader::BatchLoader(std::int64_t dataset_size, std::int64_t batch_size, std::uint64_t seed, bool shuffle,
                         bool drop_last)
    : dataset_size_(dataset_size), batch_size_(batch_size), seed_(seed), shuffle_(shuffle), drop_last_(drop_last) {
  if (batch_size <= 0) throw ConfigError("train.batch_size must be positive");
  order_.resize(static_cast<std::size_t>(dataset_size));
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
}

std::int64_t BatchLoader::batches_per_epoch() const {
  if (drop_last_) return dataset_size_ / batch_size_;
  return (dataset_size_ + batch_size_ - 1) / batch_size_;
}

void BatchLoader::start_epoch(std::int64_t epoch) {
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  if (!shuffle_) return;
  Rng rng = Rng::derived(seed_, static_cast<std::uint64_t>(epoch));
  for (std::int64_t i = dataset_size_ - 1; i > 0; --i) {
    std::swap(order_[i], order_[rng.below(static_cast<std::uint64_t>(i) + 1)]);
  }
}

std::span<const std::int64_t> BatchLoader::batch(std::int64_t index) const {
  const std::int64_t begin = index * batch_size_;
  const std::int64_t end = std::min(begin + batch_size_, dataset_size_);
  return std::span<const std::int64_t>(order_).subspan(static_cast<std::size_t>(begin),
                                                       static_cast<std::size_t>(end - begin));
}

std::span<const std::int64_t> BatchLoader::range(std::int64_t begin, std::int64_t count) const {
  return std::span<const std::int64_t>(order_).subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(count));
}

}  // namespace descent::data
