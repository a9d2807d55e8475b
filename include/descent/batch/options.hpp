// [batch]: how the batch size evolves and how the learning rate follows it.
#pragma once

#include <cstdint>
#include <string>

#include "descent/schedule/schedule.hpp"

namespace descent::batch {

enum class BatchPolicy { constant, scheduled, adaptive };
enum class BatchTest { norm, inner_product, orthogonality, augmented };  // augmented: inner product and orthogonality
enum class LrScaling { none, linear, sqrt, automatic };

// constant (train.batch_size), scheduled (a schedule's factor times train.batch_size), or
// adaptive (AdAdaGrad's tests on per-sample gradients; batch/adaptive_batch.hpp).
struct BatchOptions {
  BatchPolicy policy = BatchPolicy::constant;
  schedule::ScheduleSpec schedule = schedule::default_spec("constant");
  BatchTest test = BatchTest::norm;
  double threshold = 0.1;  // eta, theta or nu
  double orthogonality_threshold = 1.0;
  std::int64_t max = 0;  // cap; 0: the training set size
  std::int64_t test_interval = 1;
  std::int64_t test_samples = 256;          // cap of the micro-batch whose per-sample gradients are computed
  LrScaling lr_scaling = LrScaling::none;   // relative to `reference`; automatic: sqrt for adaptive optimizers
  std::int64_t reference = 0;               // the batch the base lr and epochs belong to (0: train.batch_size)
  bool regime_adaptation = false;           // Hoffer et al.: epochs x ceil(train.batch_size / reference)
};

}  // namespace descent::batch
