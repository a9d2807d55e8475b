// Fuzzes the loop state a checkpoint stores (train/loop_state.hpp): any text is refused with
// std::invalid_argument or read into a state inside the run's bounds. Seeds: fuzz/corpus/loop_state.
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "descent/train/loop_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr descent::train::LoopBounds kBounds{.examples = 60000, .epochs = 3};
  descent::MetricLog log;
  std::map<std::string, double> summary;
  try {
    const auto state =
        descent::train::parse_loop_state(std::string_view(reinterpret_cast<const char*>(data), size), kBounds, log, summary);
    const bool inside = state.step >= 0 && state.samples >= 0 && state.epoch >= 0 && state.epoch < kBounds.epochs &&
                        state.position >= 0 && state.position <= kBounds.examples && state.batch >= 0 &&
                        state.window.steps >= 0 && std::isfinite(state.window.loss);
    if (!inside) std::abort();
    for (const auto& row : log.rows) {
      if (row.step < 0 || !std::isfinite(row.value)) std::abort();
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
