#include "descent/icl/training.hpp"

#include <algorithm>
#include <functional>

#include "descent/optim/torch_optimizers.hpp"

namespace descent::icl {
namespace {

using PromptLoss = std::function<torch::Tensor(const Prompts&)>;

std::vector<double> train(torch::nn::Module& model, const PromptLoss& loss_of, const TaskOptions& tasks, const InContextTraining& training) {
  optim::Optimizer optimizer(training.optimizer, training.hyperparameters, model.named_parameters());
  const schedule::Schedule schedule(training.schedule, training.steps);
  torch::Generator generator = at::detail::createCPUGenerator(training.seed);
  std::vector<double> losses;
  losses.reserve(static_cast<std::size_t>(training.steps));
  for (std::int64_t step = 0; step < training.steps; ++step) {
    TaskOptions stage = tasks;
    stage.active_dimensions = training.curriculum.live_at(step, tasks.dimension);
    const Prompts prompts = sample_prompts(stage, training.batch, generator);
    optimizer.set_learning_rate_factor(schedule.factor(step));
    optimizer.zero_grad();
    const torch::Tensor loss = loss_of(prompts);
    loss.backward();
    const double value = loss.item<double>();
    optimizer.step(value);
    losses.push_back(value);
  }
  return losses;
}

}  // namespace

std::int64_t DimensionCurriculum::live_at(std::int64_t step, std::int64_t dimension) const {
  if (start <= 0) return 0;
  return std::min(dimension, start + step / std::max<std::int64_t>(every, 1));
}

std::vector<double> train_in_context(LinearSelfAttention& model, const TaskOptions& tasks, const InContextTraining& training) {
  return train(model, [&](const Prompts& p) { return (model.predict(p) - p.target).square().mean(); }, tasks, training);
}

std::vector<double> train_in_context(InContextTransformer& model, const TaskOptions& tasks, const InContextTraining& training) {
  const auto loss = [&](const Prompts& p) {
    const PointSequence sequence = point_sequence(p);
    return (model.forward(sequence) - sequence.y.to(torch::kFloat32)).square().mean();
  };
  return train(model, loss, tasks, training);
}

}  // namespace descent::icl
