// Training an in-context learner: every step draws a fresh batch of prompts (the task
// distribution, not a fixed data set), predicts each query and takes one step of a descent
// optimizer on the mean squared error. Deterministic for a seed and thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"
#include "descent/icl/linear_self_attention.hpp"
#include "descent/icl/tasks.hpp"
#include "descent/schedule/schedule.hpp"

namespace descent::icl {

struct InContextTraining {
  std::string optimizer = "adam";
  ParamValues hyperparameters = {{"lr", 1e-3}};
  schedule::ScheduleSpec schedule{};  // of the learning rate, over `steps` (default constant)
  std::int64_t steps = 10000;
  std::int64_t batch = 512;
  std::uint64_t seed = 0;
};

// Trains `model` in place; returns the training loss of every step.
std::vector<double> train_in_context(LinearSelfAttention& model, const TaskOptions& tasks, const InContextTraining& training);

}  // namespace descent::icl
