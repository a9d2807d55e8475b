// The batch size of each step and the learning-rate factor that goes with it: constant,
// following a schedule, or grown by AdAdaGrad's tests (Lau, Liu & Kolar, 2024) on the per-sample
// gradients of the current batch. A controller the training loop asks each step.
#pragma once

#include <cstdint>

#include "descent/batch/adaptive_batch.hpp"
#include "descent/schedule/schedule.hpp"

namespace at {
class Tensor;
}
namespace descent::models {
struct Model;
}
namespace descent::optim {
struct OptimizerDescription;
}

namespace descent::batch {

class BatchSizer {
public:
  BatchSizer(const BatchOptions& options, std::int64_t base, std::int64_t train_size, std::int64_t planned_steps,
             const optim::OptimizerDescription& optimizer);

  bool constant() const { return options_.policy == BatchPolicy::constant; }
  // The size of the step at schedule position `position`.
  std::int64_t size(std::int64_t position);
  // The learning-rate multiplier of the scaling rule at the current size.
  double lr_factor() const;
  // After backward of step `step` (0-based count of steps taken): when a test is due, grows the
  // batch from the statistics of the batch's first test_samples examples (never shrinks, capped).
  void after_backward(models::Model& model, const at::Tensor& x, const at::Tensor& y, bool classification, std::int64_t step);
  std::int64_t current() const { return current_; }
  void restore(std::int64_t current) { current_ = current; }

private:
  BatchOptions options_;
  std::int64_t base_, reference_, max_;
  schedule::Schedule schedule_;
  LrScaling scaling_;
  std::int64_t current_;
};

}  // namespace descent::batch
