// Where a training loop stands, as a checkpoint stores it beside the model and optimizer state:
// enough to continue exactly where the run stopped. Written and read here, without LibTorch, so
// that the reader's checks can be fuzzed on their own (fuzz/checkpoint_fuzzer.cpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "descent/core/metric_log.hpp"

namespace descent::train {

// What the loop averages between log steps; the timing parts are not checkpointed.
struct Window {
  double loss = 0.0, bits = 0.0, seconds = 0.0, exchange_seconds = 0.0;
  std::int64_t steps = 0;
};

struct LoopState {
  std::int64_t step = 0, samples = 0, epoch = 0, position = 0, next_evaluation = 0, batch = 0;
  double initial_loss = NAN;  // the first step's loss: what divergence is measured against
  Window window;
};

// What the run being resumed allows: a loop state outside these bounds would index past the data
// or run past the budget, so it is refused like any other corrupt checkpoint.
struct LoopBounds {
  std::int64_t examples = 0;  // training examples per epoch
  std::int64_t epochs = 0;
};

// The state with the metrics logged so far and the run's summary, as one JSON text.
std::string loop_state_json(const LoopState& state, const MetricLog& log, const std::map<std::string, double>& summary);

// Reads what loop_state_json wrote, appending the metrics to `log` and replacing `summary`.
// Throws std::invalid_argument naming the key that is missing, mistyped or out of `bounds`.
LoopState parse_loop_state(std::string_view json, const LoopBounds& bounds, MetricLog& log,
                           std::map<std::string, double>& summary);

}  // namespace descent::train
