// Metrics as a run records them: (step, name, value) rows, finite values only (SQLite and JSON
// have no NaN). The training loop and every probe write into one log.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "descent/core/metrics.hpp"

namespace descent {

class MetricLog {
public:
  void add(std::int64_t step, const std::string& name, double value) {
    if (std::isfinite(value)) rows.push_back({step, name, value});
  }
  std::vector<MetricRow> rows;
};

}  // namespace descent
