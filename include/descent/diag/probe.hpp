// Probes: measurements taken during training on their own cadence, outside the training loop.
// Each gets a view of the step twice: after backward (the batch's gradients are in the model,
// the parameters are those the gradients were taken at) and after the optimizer's update. A probe
// may run forward and backward passes on the model but must leave its parameters, gradients and
// buffers as it found them; it writes what it measures into the run's metric log.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "descent/core/metric_log.hpp"
#include "descent/diag/options.hpp"

namespace at {
class Tensor;
}
namespace descent::models {
struct Model;
}
namespace descent::optim {
class Optimizer;
}
namespace descent::data {
struct LabeledTensors;
}

namespace descent::diag {

struct StepView {
  std::int64_t step = 0;  // 1-based index of the step being taken
  models::Model& model;
  const at::Tensor& x;  // the batch
  const at::Tensor& y;
  double loss = 0.0;           // the batch's loss at the parameters before the update
  double learning_rate = 0.0;  // the step's effective rate (base x schedule x batch scaling)
  const optim::Optimizer& optimizer;
  const data::LabeledTensors& train;  // the training split, for probes that measure a fixed subset
  bool log_step = false;              // a step whose running averages the loop logs (train.log_every)
};

class Probe {
public:
  virtual ~Probe() = default;
  virtual void after_backward(const StepView&, MetricLog&) {}
  virtual void after_update(const StepView&, MetricLog&) {}
};

// The probes `options` turns on, in the order they measure.
std::vector<std::unique_ptr<Probe>> make_probes(const DiagnosticsOptions& options);

}  // namespace descent::diag
