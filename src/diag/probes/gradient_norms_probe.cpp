// l2 and l1 norms of the whole gradient at every step: the trace that schedule refinement
// (schedule/refine.hpp) learns from. LibTorch's vectorized norm kernels make no full-size
// temporaries.
#include <torch/torch.h>

#include <cmath>

#include "descent/models/models.hpp"
#include "probes.hpp"

namespace descent::diag {
namespace {

class GradientNorms final : public Probe {
public:
  void after_backward(const StepView& view, MetricLog& log) override {
    double squares = 0.0, absolutes = 0.0;
    for (const auto& p : view.model.parameters()) {
      const torch::Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      const double l2 = grad.norm(2).item<double>();
      squares += l2 * l2;
      absolutes += grad.norm(1).item<double>();
    }
    log.add(view.step, "grad_norm_l2", std::sqrt(squares));
    log.add(view.step, "grad_norm_l1", absolutes);
  }
};

}  // namespace

std::unique_ptr<Probe> gradient_norms_probe() { return std::make_unique<GradientNorms>(); }

}  // namespace descent::diag
