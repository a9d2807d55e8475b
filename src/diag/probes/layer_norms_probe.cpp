// Per-layer gradient norms and update-to-parameter ratios ||delta p|| / ||p|| at the steps the
// loop logs (the parameters are copied before the update and compared after it).
#include <torch/torch.h>

#include "descent/models/models.hpp"
#include "probes.hpp"

namespace descent::diag {
namespace {

class LayerNorms final : public Probe {
public:
  void after_backward(const StepView& view, MetricLog&) override {
    before_.clear();
    if (!view.log_step) return;
    for (const auto& p : view.model.parameters()) before_.push_back(p.detach().clone());
  }

  void after_update(const StepView& view, MetricLog& log) override {
    if (before_.empty()) return;
    std::size_t i = 0;
    for (const auto& item : view.model.named_parameters()) {
      const torch::Tensor& p = item.value();
      if (p.grad().defined()) log.add(view.step, "grad_norm/" + item.key(), p.grad().norm().item<double>());
      const double norm = before_[i].norm().item<double>();
      if (norm > 0) log.add(view.step, "update_ratio/" + item.key(), (p.detach() - before_[i]).norm().item<double>() / norm);
      ++i;
    }
    before_.clear();
  }

private:
  std::vector<torch::Tensor> before_;
};

}  // namespace

std::unique_ptr<Probe> layer_norms_probe() { return std::make_unique<LayerNorms>(); }

}  // namespace descent::diag
