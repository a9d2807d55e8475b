// Per-example losses of the first example_losses_samples training examples (model in eval mode),
// tracked by diag/example_losses.hpp: the tracked mean loss and, at a spike, the examples whose
// loss moved most and the two opposing groups among them (Rosenfeld & Risteski, ICLR 2024).
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

#include "descent/data/tensors.hpp"
#include "descent/diag/example_losses.hpp"
#include "descent/models/models.hpp"
#include "probes.hpp"

namespace descent::diag {

// Losses of the first `count` examples of `data`, in order (declared in diag/example_losses.hpp).
std::vector<double> example_losses(models::Model& model, const data::LabeledTensors& data, std::int64_t count) {
  torch::NoGradGuard no_grad;
  model.eval();
  const std::int64_t n = std::min(count, data.features.size(0));
  namespace F = torch::nn::functional;
  const torch::Tensor output = model.forward(data.features.slice(0, 0, n));
  const torch::Tensor target = data.targets.slice(0, 0, n);
  torch::Tensor losses;
  if (data.classification) {
    losses = F::cross_entropy(output, target.reshape(-1), F::CrossEntropyFuncOptions().reduction(torch::kNone)).view({n, -1}).mean(1);
  } else {
    losses = (output - target).square().view({n, -1}).mean(1);
  }
  model.train();
  const torch::Tensor values = losses.to(torch::kFloat64).contiguous();
  return {values.data_ptr<double>(), values.data_ptr<double>() + n};
}

namespace {

class ExampleLosses final : public Probe {
public:
  explicit ExampleLosses(const DiagnosticsOptions& options)
      : every_(options.example_losses_every),
        samples_(options.example_losses_samples),
        tracker_(options.spike_threshold, static_cast<int>(options.spike_top)) {}

  void after_update(const StepView& view, MetricLog& log) override {
    if (view.step % every_ != 0 && view.step != 1) return;
    const auto spike = tracker_.observe(example_losses(view.model, view.train, samples_));
    log.add(view.step, "tracked_loss", tracker_.mean());
    if (!spike) return;
    log.add(view.step, "loss_spike", spike->increase);
    for (std::size_t r = 0; r < spike->examples.size(); ++r) {
      log.add(view.step, fmt::format("spike_example/{}", r), static_cast<double>(spike->examples[r]));
      log.add(view.step, fmt::format("spike_change/{}", r), spike->changes[r]);
    }
    log.add(view.step, "spike_rose", spike->rose);
    log.add(view.step, "spike_fell", spike->fell);
    log.add(view.step, "spike_rose_mean_change", spike->rose_mean);
    log.add(view.step, "spike_fell_mean_change", spike->fell_mean);
  }

private:
  std::int64_t every_, samples_;
  ExampleLossTracker tracker_;
};

}  // namespace

std::unique_ptr<Probe> example_losses_probe(const DiagnosticsOptions& options) { return std::make_unique<ExampleLosses>(options); }

}  // namespace descent::diag
