#include "descent/batch/batch_sizer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "descent/batch/adaptive_batch.hpp"
#include "descent/batch/per_sample.hpp"
#include "descent/optim/description.hpp"

namespace descent::batch {

BatchSizer::BatchSizer(const BatchOptions& options, std::int64_t base, std::int64_t train_size, std::int64_t planned_steps,
                       const optim::OptimizerDescription& optimizer)
    : options_(options),
      base_(base),
      reference_(options.reference > 0 ? options.reference : base),
      max_(options.max > 0 ? options.max : train_size),
      schedule_(options.schedule, planned_steps),
      scaling_(resolve_scaling(options.lr_scaling, optimizer)),
      current_(std::min(base, max_)) {}

std::int64_t BatchSizer::size(std::int64_t position) {
  if (options_.policy == BatchPolicy::scheduled) {
    current_ = std::clamp<std::int64_t>(std::llround(static_cast<double>(base_) * schedule_.factor(position)), 1, max_);
  }
  return current_;
}

double BatchSizer::lr_factor() const { return lr_scale(scaling_, reference_, current_); }

void BatchSizer::after_backward(models::Model& model, const at::Tensor& x, const at::Tensor& y, bool classification, std::int64_t step) {
  const std::int64_t batch = x.size(0);
  const bool due = options_.policy == BatchPolicy::adaptive && current_ < max_ && step % options_.test_interval == 0;
  if (!due || batch < 2) return;
  const std::int64_t m = std::min(batch, options_.test_samples);
  const auto statistics = per_sample_statistics(model, x.slice(0, 0, m), y.slice(0, 0, m), classification);
  const auto requested = requested_batch_size(statistics, options_.test, options_.threshold, options_.orthogonality_threshold);
  current_ = next_batch_size(current_, requested, max_);
}

}  // namespace descent::batch
