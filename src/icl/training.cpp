#include "descent/icl/training.hpp"

#include "descent/optim/torch_optimizers.hpp"

namespace descent::icl {

std::vector<double> train_in_context(LinearSelfAttention& model, const TaskOptions& tasks, const InContextTraining& training) {
  optim::Optimizer optimizer(training.optimizer, training.hyperparameters, model.named_parameters());
  const schedule::Schedule schedule(training.schedule, training.steps);
  torch::Generator generator = at::detail::createCPUGenerator(training.seed);
  std::vector<double> losses;
  losses.reserve(static_cast<std::size_t>(training.steps));
  for (std::int64_t step = 0; step < training.steps; ++step) {
    const Prompts prompts = sample_prompts(tasks, training.batch, generator);
    optimizer.set_learning_rate_factor(schedule.factor(step));
    optimizer.zero_grad();
    const torch::Tensor loss = (model.predict(prompts) - prompts.target).square().mean();
    loss.backward();
    const double value = loss.item<double>();
    optimizer.step(value);
    losses.push_back(value);
  }
  return losses;
}

}  // namespace descent::icl
