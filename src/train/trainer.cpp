#include "descent/train/trainer.hpp"

#include <chrono>
#include <cmath>

#include "descent/data/batch_loader.hpp"
#include "descent/models/models.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "descent/schedule/schedule.hpp"

namespace descent::train {
namespace {

using Clock = std::chrono::steady_clock;

// The dataset as tensors that alias its buffers (no copy); the Dataset outlives the run.
struct TensorView {
  torch::Tensor features;
  torch::Tensor targets;  // int64 labels or float targets
  bool classification = true;
};

TensorView as_tensors(const data::Dataset& dataset) {
  std::vector<std::int64_t> shape = {dataset.size()};
  shape.insert(shape.end(), dataset.sample_shape.begin(), dataset.sample_shape.end());
  auto* features = const_cast<float*>(dataset.features.data());
  TensorView view;
  view.features = torch::from_blob(features, shape, torch::kFloat32);
  view.classification = dataset.task == data::Task::classification;
  if (view.classification) {
    view.targets = torch::from_blob(const_cast<std::int64_t*>(dataset.labels.data()), {dataset.size()}, torch::kInt64);
  } else {
    view.targets = torch::from_blob(const_cast<float*>(dataset.targets.data()), {dataset.size(), 1}, torch::kFloat32);
  }
  return view;
}

// Mean (training) or summed (evaluation) loss: cross-entropy for classes, squared error otherwise.
torch::Tensor loss_of(const torch::Tensor& output, const torch::Tensor& target, bool classification, bool summed = false) {
  namespace F = torch::nn::functional;
  if (classification) {
    return summed ? F::cross_entropy(output, target, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                  : F::cross_entropy(output, target);
  }
  return summed ? F::mse_loss(output, target, F::MSELossFuncOptions().reduction(torch::kSum)) : F::mse_loss(output, target);
}

struct Evaluation {
  double loss = 0.0;
  double accuracy = NAN;
};

// Mean loss and accuracy over a whole split, in chunks so memory stays bounded.
Evaluation evaluate(models::Model& model, const TensorView& data) {
  torch::NoGradGuard no_grad;
  model.eval();
  const std::int64_t n = data.features.size(0);
  constexpr std::int64_t kChunk = 2000;
  double loss_sum = 0.0;
  std::int64_t correct = 0;
  for (std::int64_t begin = 0; begin < n; begin += kChunk) {
    const std::int64_t end = std::min(n, begin + kChunk);
    const torch::Tensor output = model.forward(data.features.slice(0, begin, end));
    const torch::Tensor target = data.targets.slice(0, begin, end);
    loss_sum += loss_of(output, target, data.classification, /*summed=*/true).item<double>();
    if (data.classification) correct += output.argmax(1).eq(target).sum().item<std::int64_t>();
  }
  model.train();
  Evaluation result;
  result.loss = loss_sum / static_cast<double>(n);
  if (data.classification) result.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return result;
}

// l2 and l1 norms of the whole gradient, read straight from the buffers (no temporaries): the
// trace that schedule refinement (schedule/refine.hpp) learns from.
std::pair<double, double> gradient_norms(models::Model& model) {
  double squares = 0.0, absolutes = 0.0;
  for (const auto& p : model.parameters()) {
    const torch::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    const torch::Tensor g = grad.contiguous();
    const float* data = g.data_ptr<float>();
    for (std::int64_t i = 0; i < g.numel(); ++i) {
      squares += static_cast<double>(data[i]) * data[i];
      absolutes += std::abs(static_cast<double>(data[i]));
    }
  }
  return {std::sqrt(squares), absolutes};
}

std::int64_t count_parameters(models::Model& model) {
  std::int64_t count = 0;
  for (const auto& p : model.parameters()) count += p.numel();
  return count;
}

// Collects metrics, keeping only finite values (SQLite and JSON have no NaN).
class MetricLog {
public:
  void add(std::int64_t step, const std::string& name, double value) {
    if (std::isfinite(value)) rows.push_back({step, name, value});
  }
  std::vector<MetricRow> rows;
};

void record_evaluation(MetricLog& log, std::map<std::string, double>& summary, std::int64_t step,
                       const std::string& split, const Evaluation& evaluation) {
  log.add(step, split + "_loss", evaluation.loss);
  summary["final_" + split + "_loss"] = evaluation.loss;
  if (std::isnan(evaluation.accuracy)) return;
  log.add(step, split + "_accuracy", evaluation.accuracy);
  summary["final_" + split + "_accuracy"] = evaluation.accuracy;
  auto [best, inserted] = summary.try_emplace("best_" + split + "_accuracy", evaluation.accuracy);
  if (!inserted) best->second = std::max(best->second, evaluation.accuracy);
}

}  // namespace

std::int64_t planned_steps(const study::TrainConfig& train, std::int64_t train_size) {
  const std::int64_t per_epoch = (train_size + train.batch_size - 1) / train.batch_size;
  const std::int64_t total = per_epoch * train.epochs;
  return train.max_steps > 0 ? std::min(total, train.max_steps) : total;
}

RunResult train(const TrainingRun& run, const data::Splits& splits, std::span<Callback* const> callbacks) {
  torch::set_num_threads(static_cast<int>(run.train.threads));
  torch::manual_seed(run.seed);

  const bool classification = splits.train.task == data::Task::classification;
  const std::int64_t outputs = classification ? splits.train.num_classes : 1;
  auto model = models::make_model(run.model, splits.train.sample_shape, outputs);
  optim::FusedOptions fused;
  fused.threads = static_cast<int>(run.train.threads);
  auto optimizer = optim::make_optimizer(run.optimizer.name, run.optimizer.hyper, model->named_parameters(), fused);

  const TensorView train_data = as_tensors(splits.train);
  const TensorView test_data = as_tensors(splits.test);
  const bool has_validation = splits.validation.size() > 0;
  const TensorView validation_data = has_validation ? as_tensors(splits.validation) : TensorView{};

  data::BatchLoader loader(splits.train.size(), run.train.batch_size, run.seed);
  const std::int64_t total_steps = planned_steps(run.train, splits.train.size());
  const schedule::Schedule schedule(run.schedule, total_steps);
  const double base_lr = run.optimizer.hyper.at("lr");  // for the recorded lr; groups scale their own

  RunInfo info{run.optimizer.label, run.seed, total_steps, loader.batches_per_epoch(), run.train.epochs,
               count_parameters(*model)};
  for (Callback* callback : callbacks) callback->on_begin(info);

  RunResult result;
  MetricLog log;
  const auto run_start = Clock::now();
  double window_loss = 0.0, window_seconds = 0.0;
  std::int64_t window_steps = 0, step = 0;
  bool keep_going = true;

  for (std::int64_t epoch = 0; epoch < run.train.epochs && keep_going; ++epoch) {
    loader.start_epoch(epoch);
    for (std::int64_t b = 0; b < loader.batches_per_epoch() && keep_going; ++b) {
      const auto step_start = Clock::now();
      const auto indices = loader.batch(b);
      const torch::Tensor index = torch::from_blob(const_cast<std::int64_t*>(indices.data()),
                                                   {static_cast<std::int64_t>(indices.size())}, torch::kInt64);
      const double factor = schedule.factor(step);
      const double lr = base_lr * factor;
      optimizer->set_learning_rate_factor(factor);
      optimizer->zero_grad();
      const torch::Tensor loss = loss_of(model->forward(train_data.features.index_select(0, index)),
                                         train_data.targets.index_select(0, index), classification);
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        result.end = RunEnd::diverged;
        result.diverged_step = step + 1;
        break;
      }
      loss.backward();
      const auto [norm_l2, norm_l1] = gradient_norms(*model);
      optimizer->step(loss_value);
      ++step;
      log.add(step, "grad_norm_l2", norm_l2);
      log.add(step, "grad_norm_l1", norm_l1);
      window_loss += loss_value;
      window_seconds += std::chrono::duration<double>(Clock::now() - step_start).count();
      ++window_steps;
      if (step % run.train.log_every == 0 || step == total_steps) {
        log.add(step, "train_loss", window_loss / static_cast<double>(window_steps));
        log.add(step, "lr", lr);
        log.add(step, "step_time_ms", 1e3 * window_seconds / static_cast<double>(window_steps));
        window_loss = window_seconds = 0.0;
        window_steps = 0;
      }
      const StepEvent event{step, epoch, loss_value, lr};
      for (Callback* callback : callbacks) keep_going = callback->on_step_end(event) && keep_going;
      if (interrupt_flag().load()) keep_going = false;
      if (step >= total_steps) break;
    }
    if (result.end == RunEnd::diverged) break;
    const Evaluation test = evaluate(*model, test_data);
    record_evaluation(log, result.summary, step, "test", test);
    if (has_validation) record_evaluation(log, result.summary, step, "val", evaluate(*model, validation_data));
    log.add(step, "epoch", static_cast<double>(epoch + 1));
    const EpochEvent event{step, epoch, test.loss, test.accuracy};
    for (Callback* callback : callbacks) keep_going = callback->on_epoch_end(event) && keep_going;
    if (step >= total_steps) break;
  }

  if (result.end != RunEnd::diverged && (interrupt_flag().load() || step < total_steps)) result.end = RunEnd::stopped;
  result.steps = step;
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
  result.summary["steps"] = static_cast<double>(step);
  result.summary["wall_time_s"] = result.wall_seconds;
  result.summary["parameters"] = static_cast<double>(info.parameters);
  if (result.wall_seconds > 0) {
    result.summary["samples_per_s"] = static_cast<double>(step * run.train.batch_size) / result.wall_seconds;
  }
  result.metrics = std::move(log.rows);
  for (Callback* callback : callbacks) callback->on_end({result.end, step, result.wall_seconds});
  return result;
}

}  // namespace descent::train
