// Training an in-context learner: every step draws a fresh batch of prompts (the task
// distribution, not a fixed data set), predicts each query and takes one step of a descent
// optimizer on the mean squared error. Deterministic for a seed and thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "descent/core/param_spec.hpp"
#include "descent/icl/in_context_transformer.hpp"
#include "descent/icl/linear_self_attention.hpp"
#include "descent/icl/tasks.hpp"
#include "descent/schedule/schedule.hpp"

namespace descent::icl {

// Garg et al.'s curriculum over the input dimension: training starts with `start` live
// coordinates and adds one every `every` steps until all d are live (start 0: no curriculum).
// Their linear-regression config starts at 5 of 20 and adds one every 2000 steps.
struct DimensionCurriculum {
  std::int64_t start = 0;
  std::int64_t every = 2000;
  std::int64_t live_at(std::int64_t step, std::int64_t dimension) const;
};

struct InContextTraining {
  std::string optimizer = "adam";
  ParamValues hyperparameters = {{"lr", 1e-3}};
  schedule::ScheduleSpec schedule{};  // of the learning rate, over `steps` (default constant)
  std::int64_t steps = 10000;
  std::int64_t batch = 512;
  std::uint64_t seed = 0;
  DimensionCurriculum curriculum{};
};

// Trains `model` in place on the query's squared error; returns the training loss of every step.
std::vector<double> train_in_context(LinearSelfAttention& model, const TaskOptions& tasks, const InContextTraining& training);
// Trains `model` in place on the squared error at every position of the sequence (Garg et al.'s
// objective: each prefix is a prompt); returns the training loss of every step.
std::vector<double> train_in_context(InContextTransformer& model, const TaskOptions& tasks, const InContextTraining& training);

}  // namespace descent::icl
