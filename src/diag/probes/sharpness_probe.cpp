// The sharpness probe: the top eigenvalue of the Hessian of the loss on the first hessian_samples
// training examples, by Lanczos within lanczos_iterations Hessian-vector products, beside the
// stability threshold the optimizer's description gives (GD 2/lr; heavy ball (2 + 2 beta)/lr:
// Cohen et al., ICLR 2021). For optimizers whose description declares a diagonal preconditioner
// (Adam's family), also lambda_max(P^{-1} H) (the top eigenvalue of P^{-1/2} H P^{-1/2}) against
// its threshold ((2 + 2 beta1) / ((1 - beta1) lr): Cohen et al., 2022). With trace_samples, the
// Hutchinson trace of H and the description's trace bound (SGD: 2/lr, Wu & Su, ICML 2023).
#include <torch/torch.h>

#include <algorithm>

#include "descent/data/tensors.hpp"
#include "descent/diag/spectrum.hpp"
#include "descent/models/models.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "probes.hpp"

namespace descent::diag {
namespace {

class Sharpness final : public Probe {
public:
  explicit Sharpness(const DiagnosticsOptions& options) : options_(options) {}

  void after_update(const StepView& view, MetricLog& log) override {
    if (view.step % options_.sharpness_every != 0) return;
    const std::int64_t step = view.step;
    const auto& description = view.optimizer.description();
    const ParamValues& hyper = view.optimizer.hyperparameters(0);
    const double lr = view.learning_rate;
    const std::int64_t n = std::min<std::int64_t>(options_.hessian_samples, view.train.features.size(0));
    // The probe's forward passes must not move batch-norm running statistics: restore them after.
    std::vector<torch::Tensor> buffers = view.model.buffers(), saved;
    for (const auto& b : buffers) saved.push_back(b.clone());
    HessianOperator hessian(view.model, view.train.features.slice(0, 0, n), view.train.targets.slice(0, 0, n), view.train.classification);
    const int iterations = static_cast<int>(options_.lanczos_iterations);
    const auto seed = static_cast<std::uint64_t>(step);
    log.add(step, "sharpness", lanczos(hessian.as_operator(), hessian.dimension(), 1, iterations, seed).eigenvalues.front());
    if (const auto preconditioner = view.optimizer.preconditioner()) {
      const auto top = preconditioned_lanczos(hessian.as_operator(), *preconditioner, 1, iterations, seed + 1);
      log.add(step, "preconditioned_sharpness", top.eigenvalues.front());
      if (description.preconditioned_threshold) {
        if (const auto threshold = description.preconditioned_threshold(hyper, lr)) log.add(step, "preconditioned_stability_threshold", *threshold);
      }
    }
    if (options_.trace_samples > 0) {
      const auto trace = hutchinson_trace(hessian.as_operator(), hessian.dimension(), static_cast<int>(options_.trace_samples), seed);
      log.add(step, "hessian_trace", trace.mean);
      log.add(step, "hessian_trace_se", trace.standard_error);
      if (description.trace_threshold) {
        if (const auto threshold = description.trace_threshold(hyper, lr)) log.add(step, "trace_stability_threshold", *threshold);
      }
    }
    log.add(step, "hvp_count", hessian.products());
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
    if (description.sharpness_threshold) {
      if (const auto threshold = description.sharpness_threshold(hyper, lr)) log.add(step, "stability_threshold", *threshold);
    }
  }

private:
  DiagnosticsOptions options_;
};

}  // namespace

std::unique_ptr<Probe> sharpness_probe(const DiagnosticsOptions& options) { return std::make_unique<Sharpness>(options); }

}  // namespace descent::diag
