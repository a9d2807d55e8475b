// [batch]: how the batch size evolves and how the learning rate follows it.
#pragma once

#include <cstdint>
#include <string>

#include "descent/core/fields.hpp"
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

inline const EnumNames<BatchPolicy> kBatchPolicies = {
    {BatchPolicy::constant, "constant"}, {BatchPolicy::scheduled, "scheduled"}, {BatchPolicy::adaptive, "adaptive"}};
inline const EnumNames<BatchTest> kBatchTests = {
    {BatchTest::norm, "norm"}, {BatchTest::inner_product, "inner_product"}, {BatchTest::orthogonality, "orthogonality"},
    {BatchTest::augmented, "augmented"}};
inline const EnumNames<LrScaling> kLrScalings = {
    {LrScaling::none, "none"}, {LrScaling::linear, "linear"}, {LrScaling::sqrt, "sqrt"}, {LrScaling::automatic, "auto"}};

// [batch]: each policy reads its own keys.
template <class Fields>
void describe(BatchOptions& o, Fields& f) {
  f.choice("policy", o.policy, kBatchPolicies);
  f.choice("lr_scaling", o.lr_scaling, kLrScalings);
  f.integer("max", o.max, 0);
  f.integer("reference", o.reference, 0);
  f.boolean("regime_adaptation", o.regime_adaptation);
  if (o.policy == BatchPolicy::scheduled) f.schedule("schedule", o.schedule);
  if (o.policy != BatchPolicy::adaptive) return;
  f.choice("test", o.test, kBatchTests);
  f.real("threshold", o.threshold, 0.0, 1e6, true);
  f.real("orthogonality_threshold", o.orthogonality_threshold, 0.0, 1e6, true);
  f.integer("test_interval", o.test_interval, 1);
  f.integer("test_samples", o.test_samples, 2, 65536);
}

}  // namespace descent::batch
