// A metric value at a step: what the training loop records and the store keeps.
#pragma once

#include <cstdint>
#include <string>

namespace descent {

struct MetricRow {
  std::int64_t step = 0;
  std::string name;
  double value = 0.0;
};

}  // namespace descent
