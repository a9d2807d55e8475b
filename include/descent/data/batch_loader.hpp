// Deterministic mini-batches: the order of epoch e depends only on (seed, e), so a run resumed at
// any epoch sees the batches it would have seen without stopping.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace descent::data {

class BatchLoader {
public:
  // drop_last: skip the final, smaller batch of an epoch.
  BatchLoader(std::int64_t dataset_size, std::int64_t batch_size, std::uint64_t seed, bool shuffle = true,
              bool drop_last = false);

  std::int64_t batches_per_epoch() const;
  // Shuffles for `epoch` (0-based); call before reading that epoch's batches.
  void start_epoch(std::int64_t epoch);
  // The sample indices of batch `index` of the current epoch.
  std::span<const std::int64_t> batch(std::int64_t index) const;
  // Positions [begin, begin + count) of the current epoch's order (batches of any size).
  std::span<const std::int64_t> range(std::int64_t begin, std::int64_t count) const;

private:
  std::int64_t dataset_size_;
  std::int64_t batch_size_;
  std::uint64_t seed_;
  bool shuffle_;
  bool drop_last_;
  std::vector<std::int64_t> order_;
};

}  // namespace descent::data
