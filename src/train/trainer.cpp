#include "descent/train/trainer.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <cmath>

#include "data_parallel.hpp"
#include "descent/batch/per_sample.hpp"
#include "descent/comm/transport.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/data/batch_loader.hpp"
#include "descent/diag/example_losses.hpp"
#include "descent/diag/gradient_statistics.hpp"
#include "descent/diag/spectrum.hpp"
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
  if (view.classification && dataset.labels_per_sample > 1) {  // sequences: a label per position
    view.targets = torch::from_blob(const_cast<std::int64_t*>(dataset.labels.data()), {dataset.size(), dataset.labels_per_sample},
                                    torch::kInt64);
  } else if (view.classification) {
    view.targets = torch::from_blob(const_cast<std::int64_t*>(dataset.labels.data()), {dataset.size()}, torch::kInt64);
  } else {
    view.targets = torch::from_blob(const_cast<float*>(dataset.targets.data()), {dataset.size(), 1}, torch::kFloat32);
  }
  return view;
}

// Mean (training) or summed (evaluation) loss: cross-entropy for classes (sequence targets {B, T}
// against logits {B T, classes}), squared error otherwise. With z_loss > 0, the training loss adds
// z_loss * mean(log^2 Z) over the logits (Wortsman et al., 2024; PaLM's auxiliary loss).
torch::Tensor loss_of(const torch::Tensor& output, const torch::Tensor& target, bool classification, bool summed = false,
                      double z_loss = 0.0) {
  namespace F = torch::nn::functional;
  if (classification) {
    const torch::Tensor labels = target.dim() == 2 ? target.reshape(-1) : target;
    if (summed) return F::cross_entropy(output, labels, F::CrossEntropyFuncOptions().reduction(torch::kSum));
    const torch::Tensor loss = F::cross_entropy(output, labels);
    return z_loss > 0 ? loss + z_loss * torch::logsumexp(output, 1).square().mean() : loss;
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
    if (data.classification) correct += output.argmax(1).eq(target.reshape(-1)).sum().item<std::int64_t>();
  }
  model.train();
  // Per predicted label: per sample, or per position of a sequence.
  const double labels = static_cast<double>(n) * static_cast<double>(data.targets.dim() == 2 ? data.targets.size(1) : 1);
  Evaluation result;
  result.loss = loss_sum / labels;
  if (data.classification) result.accuracy = static_cast<double>(correct) / labels;
  return result;
}

// l2 and l1 norms of the whole gradient: the trace that schedule refinement
// (schedule/refine.hpp) learns from. LibTorch's vectorized norm kernels make no full-size
// temporaries.
std::pair<double, double> gradient_norms(models::Model& model) {
  double squares = 0.0, absolutes = 0.0;
  for (const auto& p : model.parameters()) {
    const torch::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    const double l2 = grad.norm(2).item<double>();
    squares += l2 * l2;
    absolutes += grad.norm(1).item<double>();
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

// The batch size of each step: constant, following a schedule, or grown by AdAdaGrad's tests.
class BatchSizer {
public:
  BatchSizer(const study::BatchConfig& config, std::int64_t base, std::int64_t train_size, std::int64_t planned_steps,
             const std::string& optimizer)
      : config_(config),
        base_(base),
        reference_(config.reference > 0 ? config.reference : base),
        max_(config.max > 0 ? config.max : train_size),
        schedule_(config.schedule, planned_steps),
        scaling_(batch::parse_scaling(config.lr_scaling, optimizer)),
        test_(config.policy == "adaptive" ? batch::parse_test(config.test) : batch::BatchTest::norm),
        current_(std::min(base, max_)) {}

  bool constant() const { return config_.policy == "constant"; }
  // The size of the step at schedule position `position`.
  std::int64_t size(std::int64_t position) {
    if (config_.policy == "scheduled") {
      current_ = std::clamp<std::int64_t>(std::llround(static_cast<double>(base_) * schedule_.factor(position)), 1, max_);
    }
    return current_;
  }
  // The learning-rate multiplier of the scaling rule at the current size.
  double lr_factor() const { return batch::lr_scale(scaling_, reference_, current_); }
  bool test_due(std::int64_t step) const {
    return config_.policy == "adaptive" && current_ < max_ && step % config_.test_interval == 0;
  }
  // Grows the batch from the statistics of the current micro-batch (never shrinks, capped).
  void update(const batch::GradientStatistics& statistics) {
    const auto requested = batch::requested_batch_size(statistics, test_, config_.threshold, config_.orthogonality_threshold);
    current_ = batch::next_batch_size(current_, requested, max_);
  }
  std::int64_t test_samples() const { return config_.test_samples; }
  std::int64_t current() const { return current_; }
  void restore(std::int64_t current) { current_ = current; }

private:
  study::BatchConfig config_;
  std::int64_t base_, reference_, max_;
  schedule::Schedule schedule_;
  batch::LrScaling scaling_;
  batch::BatchTest test_;
  std::int64_t current_;
};

// Adam's preconditioner after `steps` steps, as Cohen et al. ("Adaptive Gradient Methods at the
// Edge of Stability", 2022) define it: P = (1 - beta1^t) diag(sqrt(v / (1 - beta2^t)) + eps), so that
// the update is lr P^{-1} m. Flat, float64, in parameter order. nullopt for other optimizers.
std::optional<torch::Tensor> adam_preconditioner(const optim::TrainingOptimizer& optimizer, const study::OptimizerEntry& entry) {
  const auto* descent_optimizer = dynamic_cast<const optim::Optimizer*>(&optimizer);
  const std::string& name = entry.name;
  if (!descent_optimizer || (name != "adam" && name != "adamw" && name != "amsgrad") || descent_optimizer->steps_taken() == 0) {
    return std::nullopt;
  }
  const double t = static_cast<double>(descent_optimizer->steps_taken());
  const double beta1 = entry.hyper.at("beta1"), beta2 = entry.hyper.at("beta2"), eps = entry.hyper.at("eps");
  const torch::Tensor v = descent_optimizer->flat_state(name == "amsgrad" ? 2 : 1);
  return (1.0 - std::pow(beta1, t)) * ((v / (1.0 - std::pow(beta2, t))).sqrt() + eps);
}

// The sharpness probe: the top eigenvalue of the Hessian of the loss on a fixed subset, by Lanczos
// within the configured HVP budget; beside it the step size's stability threshold 2/lr (gradient
// descent; (2 + 2 beta)/lr with heavy-ball momentum beta: Cohen et al., ICLR 2021). For Adam-like
// optimizers, also the preconditioned sharpness lambda_max(P^{-1} H) (the top eigenvalue of
// P^{-1/2} H P^{-1/2}) against its threshold (2 + 2 beta1) / ((1 - beta1) lr) (38/lr at beta1 = 0.9).
// With trace_samples, the Hessian trace, which Wu & Su (ICML 2023) bound by 2/lr for linearly
// stable minima of SGD: logged beside it as trace_stability_threshold.
void measure_sharpness(models::Model& model, const TensorView& data, const TrainingRun& run, const optim::TrainingOptimizer& optimizer,
                       double lr, std::int64_t step, MetricLog& log) {
  const std::int64_t n = std::min<std::int64_t>(run.diagnostics.hessian_samples, data.features.size(0));
  // The probe's forward passes must not move batch-norm running statistics: restore them after.
  std::vector<torch::Tensor> buffers = model.buffers(), saved;
  for (const auto& b : buffers) saved.push_back(b.clone());
  diag::HessianOperator hessian(model, data.features.slice(0, 0, n), data.targets.slice(0, 0, n), data.classification);
  const int iterations = static_cast<int>(run.diagnostics.lanczos_iterations);
  const auto result = diag::lanczos(hessian.as_operator(), hessian.dimension(), 1, iterations, static_cast<std::uint64_t>(step));
  log.add(step, "sharpness", result.eigenvalues.front());
  const std::string& name = run.optimizer.name;
  if (const auto preconditioner = adam_preconditioner(optimizer, run.optimizer)) {
    const auto top = diag::preconditioned_lanczos(hessian.as_operator(), *preconditioner, 1, iterations, static_cast<std::uint64_t>(step) + 1);
    log.add(step, "preconditioned_sharpness", top.eigenvalues.front());
    const double beta1 = run.optimizer.hyper.at("beta1");
    log.add(step, "preconditioned_stability_threshold", (2.0 + 2.0 * beta1) / ((1.0 - beta1) * lr));
  }
  if (run.diagnostics.trace_samples > 0) {
    const auto trace = diag::hutchinson_trace(hessian.as_operator(), hessian.dimension(),
                                              static_cast<int>(run.diagnostics.trace_samples), static_cast<std::uint64_t>(step));
    log.add(step, "hessian_trace", trace.mean);
    log.add(step, "hessian_trace_se", trace.standard_error);
    if (name == "sgd") log.add(step, "trace_stability_threshold", 2.0 / lr);
  }
  log.add(step, "hvp_count", hessian.products());
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
  if (name == "sgd" && run.optimizer.hyper.at("nesterov") == 0.0) {
    log.add(step, "stability_threshold", (2.0 + 2.0 * run.optimizer.hyper.at("momentum")) / lr);
  }
}

// Per-example losses of the first N training samples (model in eval mode, as evaluate() does).
std::vector<double> example_losses(models::Model& model, const TensorView& data, std::int64_t count) {
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

// Logs the tracked mean loss and, at a spike, the examples whose loss moved most and the two
// opposing groups (rose / fell) among them.
void track_example_losses(models::Model& model, const TensorView& data, const TrainingRun& run, diag::ExampleLossTracker& tracker,
                          std::int64_t step, MetricLog& log) {
  const auto spike = tracker.observe(example_losses(model, data, run.diagnostics.example_losses_samples));
  log.add(step, "tracked_loss", tracker.mean());
  if (!spike) return;
  log.add(step, "loss_spike", spike->increase);
  for (std::size_t r = 0; r < spike->examples.size(); ++r) {
    log.add(step, fmt::format("spike_example/{}", r), static_cast<double>(spike->examples[r]));
    log.add(step, fmt::format("spike_change/{}", r), spike->changes[r]);
  }
  log.add(step, "spike_rose", spike->rose);
  log.add(step, "spike_fell", spike->fell);
  log.add(step, "spike_rose_mean_change", spike->rose_mean);
  log.add(step, "spike_fell_mean_change", spike->fell_mean);
}

// Per-layer gradient norms and update-to-parameter ratios ||delta p|| / ||p|| (the parameters
// before the step are passed in).
void record_layer_norms(models::Model& model, const std::vector<torch::Tensor>& before, std::int64_t step, MetricLog& log) {
  std::size_t i = 0;
  for (const auto& item : model.named_parameters()) {
    const torch::Tensor& p = item.value();
    if (p.grad().defined()) log.add(step, "grad_norm/" + item.key(), p.grad().norm().item<double>());
    const double norm = before[i].norm().item<double>();
    if (norm > 0) log.add(step, "update_ratio/" + item.key(), (p.detach() - before[i]).norm().item<double>() / norm);
    ++i;
  }
}

// Everything the loop needs to continue exactly where it stopped (model and optimizer aside).
struct LoopState {
  std::int64_t step = 0, samples = 0, epoch = 0, position = 0, next_evaluation = 0, window_steps = 0, batch = 0;
  double window_loss = 0.0, window_bits = 0.0;
};

void save_checkpoint(const std::filesystem::path& path, models::Model& model, const optim::TrainingOptimizer& optimizer,
                     DataParallel* parallel, const LoopState& state, const MetricLog& log,
                     const std::map<std::string, double>& summary) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive, comm_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  if (parallel) {
    parallel->save(comm_archive);
    archive.write("comm", comm_archive);
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : log.rows) rows.push_back({row.step, row.name, row.value});
  const nlohmann::json loop = {{"step", state.step},           {"samples", state.samples},   {"epoch", state.epoch},
                               {"position", state.position},   {"next_evaluation", state.next_evaluation},
                               {"window_steps", state.window_steps}, {"window_loss", state.window_loss}, {"window_bits", state.window_bits},
                               {"batch", state.batch},         {"metrics", rows},            {"summary", summary}};
  archive.write("loop", c10::IValue(loop.dump()));
  std::ostringstream bytes;
  archive.save_to(bytes);
  env::write_file_atomically(path, bytes.str());
}

LoopState load_checkpoint(const std::filesystem::path& path, models::Model& model, optim::TrainingOptimizer& optimizer,
                          DataParallel* parallel, MetricLog& log, std::map<std::string, double>& summary) {
  torch::serialize::InputArchive archive, model_archive, optimizer_archive, comm_archive;
  try {
    archive.load_from(path.string());
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model.load(model_archive);
    optimizer.load(optimizer_archive);
    if (parallel) {
      archive.read("comm", comm_archive);
      parallel->load(comm_archive);
    }
    c10::IValue loop_value;
    archive.read("loop", loop_value);
    const auto loop = nlohmann::json::parse(loop_value.toStringRef());
    LoopState state;
    state.step = loop.at("step");
    state.samples = loop.at("samples");
    state.epoch = loop.at("epoch");
    state.position = loop.at("position");
    state.next_evaluation = loop.at("next_evaluation");
    state.window_steps = loop.at("window_steps");
    state.window_loss = loop.at("window_loss");
    state.window_bits = loop.value("window_bits", 0.0);
    state.batch = loop.at("batch");
    for (const auto& row : loop.at("metrics")) log.rows.push_back({row.at(0), row.at(1), row.at(2)});
    summary = loop.at("summary").get<std::map<std::string, double>>();
    return state;
  } catch (const std::exception& error) {
    throw Error(ExitCode::runtime_failure, fmt::format("{}: not a usable checkpoint of this run: {}", path.string(), error.what()));
  }
}

std::unique_ptr<DataParallel> make_data_parallel(const TrainingRun& run, models::Model& model, comm::Transport& transport) {
  comm::ExchangeConfig config;
  config.workers = static_cast<std::size_t>(run.comm.workers > 0 ? run.comm.workers : transport.size());
  config.compressor = run.comm.compressor;
  config.feedback = comm::parse_feedback(run.comm.feedback);
  config.smoothness = run.comm.smoothness;
  config.seed = run.seed;
  return std::make_unique<DataParallel>(config, model, transport);
}

}  // namespace

TrainingRun training_run(const study::StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed) {
  TrainingRun run;
  run.model = config.model;
  run.train = config.train;
  run.optimizer = config.optimizers.at(optimizer_index);
  run.schedule = config.schedule;
  run.seed = seed;
  run.batch = config.batch;
  run.hyper_schedules = config.hyper_schedules;
  run.diagnostics = config.diagnostics;
  run.comm = config.comm;
  return run;
}

void load_model(models::Model& model, const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw Error(ExitCode::runtime_failure, fmt::format("{}: no saved model", path.string()));
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    model.load(archive);
  } catch (const c10::Error& error) {
    throw Error(ExitCode::runtime_failure, fmt::format("{}: not a model of this config: {}", path.string(), error.what_without_backtrace()));
  }
}

std::int64_t planned_steps(const study::TrainConfig& train, std::int64_t train_size) {
  const std::int64_t per_epoch = (train_size + train.batch_size - 1) / train.batch_size;
  const std::int64_t total = per_epoch * train.epochs;
  return train.max_steps > 0 ? std::min(total, train.max_steps) : total;
}

RunResult train(const TrainingRun& requested, const data::Splits& splits, std::span<Callback* const> callbacks) {
  TrainingRun run = requested;
  if (run.batch.regime_adaptation) {
    const std::int64_t reference = run.batch.reference > 0 ? run.batch.reference : run.train.batch_size;
    run.train.epochs = batch::regime_adapted_epochs(run.train.epochs, run.train.batch_size, reference);
  }
  torch::set_num_threads(static_cast<int>(run.train.threads));
  torch::manual_seed(run.seed);

  const bool classification = splits.train.task == data::Task::classification;
  const std::int64_t outputs = classification ? splits.train.num_classes : 1;
  auto model = models::make_model(run.model, splits.train.sample_shape, outputs);
  optim::FusedOptions fused;
  fused.threads = static_cast<int>(run.train.threads);
  auto optimizer = optim::make_optimizer(run.optimizer.name, run.optimizer.hyper, model->named_parameters(), fused);
  comm::Transport& transport = comm::world();
  std::unique_ptr<DataParallel> parallel;
  if (run.comm.workers > 1 || transport.size() > 1) parallel = make_data_parallel(run, *model, transport);

  const TensorView train_data = as_tensors(splits.train);
  const TensorView test_data = as_tensors(splits.test);
  const bool has_validation = splits.validation.size() > 0;
  const TensorView validation_data = has_validation ? as_tensors(splits.validation) : TensorView{};

  const std::int64_t n = splits.train.size();
  data::BatchLoader loader(n, run.train.batch_size, run.seed);
  // Schedules run over the steps a constant batch would take; with a changing batch, a step's
  // position is the samples seen so far in units of the base batch, so the schedule still spans
  // the whole sample budget.
  const std::int64_t total_steps = planned_steps(run.train, n);
  const schedule::Schedule schedule(run.schedule, total_steps);
  BatchSizer sizer(run.batch, run.train.batch_size, n, total_steps, run.optimizer.name);
  const std::int64_t max_steps = run.train.max_steps > 0 ? run.train.max_steps : INT64_MAX;
  const double base_lr = run.optimizer.hyper.at("lr");  // for the recorded lr; groups scale their own
  std::map<std::string, schedule::Schedule> hyper_schedules;
  for (const auto& [name, spec] : run.hyper_schedules) {
    if (run.optimizer.hyper.count(name)) hyper_schedules.emplace(name, schedule::Schedule(spec, total_steps));
  }

  RunInfo info{run.optimizer.label, run.seed, total_steps, loader.batches_per_epoch(), run.train.epochs,
               count_parameters(*model)};
  for (Callback* callback : callbacks) callback->on_begin(info);

  RunResult result;
  MetricLog log;
  diag::ExampleLossTracker loss_tracker(run.diagnostics.spike_threshold, static_cast<int>(run.diagnostics.spike_top));
  const auto run_start = Clock::now();
  double window_loss = 0.0, window_seconds = 0.0, window_bits = 0.0, window_exchange_seconds = 0.0;
  std::int64_t window_steps = 0, step = 0, samples = 0, epoch = 0, position = 0;
  std::int64_t next_evaluation = run.train.eval_every_samples;
  bool keep_going = true;
  const bool checkpointing = run.train.checkpoint_every > 0 && !run.checkpoint.empty();
  if (checkpointing && std::filesystem::exists(run.checkpoint)) {
    const LoopState state = load_checkpoint(run.checkpoint, *model, *optimizer, parallel.get(), log, result.summary);
    fmt::print(stderr, "resuming from {} at step {}\n", run.checkpoint.string(), state.step);
    step = state.step, samples = state.samples, epoch = state.epoch, position = state.position;
    next_evaluation = state.next_evaluation, window_steps = state.window_steps, window_loss = state.window_loss;
    window_bits = state.window_bits;
    sizer.restore(state.batch);
  }
  loader.start_epoch(epoch);

  while (keep_going && step < max_steps) {
    const auto step_start = Clock::now();
    const std::int64_t schedule_position = sizer.constant() ? step : samples / run.train.batch_size;
    const std::int64_t batch_size = std::min(sizer.size(schedule_position), n - position);  // batches end with the epoch
    const auto indices = loader.range(position, batch_size);
    const torch::Tensor index = torch::from_blob(const_cast<std::int64_t*>(indices.data()), {batch_size}, torch::kInt64);
    const torch::Tensor x = train_data.features.index_select(0, index), y = train_data.targets.index_select(0, index);
    const double factor = schedule.factor(schedule_position) * sizer.lr_factor();
    const double lr = base_lr * factor;
    optimizer->set_learning_rate_factor(factor);
    for (const auto& [name, hyper_schedule] : hyper_schedules) {
      optimizer->set_hyperparameter_factor(name, hyper_schedule.factor(schedule_position));
    }
    optimizer->zero_grad();
    double loss_value;
    bool agreed_stop = false;  // data-parallel: the ranks' common decision, taken inside gradient()
    if (parallel) {
      bool stop = interrupt_flag().load();
      const auto shard_loss = [&](const torch::Tensor& xs, const torch::Tensor& ys) {
        return loss_of(model->forward(xs), ys, classification, false, run.train.z_loss);
      };
      loss_value = parallel->gradient(x, y, shard_loss, step, stop);
      agreed_stop = stop;
      if (stop) interrupt_flag() = true;
      window_bits += parallel->last_bits_per_worker();
      window_exchange_seconds += parallel->last_exchange_seconds();
    } else {
      const torch::Tensor loss = loss_of(model->forward(x), y, classification, false, run.train.z_loss);
      loss_value = loss.item<double>();
      if (std::isfinite(loss_value)) loss.backward();
    }
    if (!std::isfinite(loss_value)) {
      result.end = RunEnd::diverged;
      result.diverged_step = step + 1;
      break;
    }
    const auto [norm_l2, norm_l1] = gradient_norms(*model);
    if (run.diagnostics.gradient_stats_every > 0 && (step + 1) % run.diagnostics.gradient_stats_every == 0 && batch_size >= 2) {
      const std::int64_t m = std::min(batch_size, run.diagnostics.gradient_samples);
      const auto statistics = batch::per_sample_statistics(*model, x.slice(0, 0, m), y.slice(0, 0, m), classification);
      log.add(step + 1, "noise_scale", diag::noise_scale(statistics));
      log.add(step + 1, "coherence", diag::coherence(statistics));
    }
    const bool log_layers = run.diagnostics.layer_norms && (step + 1) % run.train.log_every == 0;
    std::vector<torch::Tensor> parameters_before;
    if (log_layers) {
      for (const auto& p : model->parameters()) parameters_before.push_back(p.detach().clone());
    }
    if (sizer.test_due(step) && batch_size >= 2) {
      const std::int64_t m = std::min(batch_size, sizer.test_samples());
      sizer.update(batch::per_sample_statistics(*model, x.slice(0, 0, m), y.slice(0, 0, m), classification));
    }
    optimizer->step(loss_value);
    if (log_layers) record_layer_norms(*model, parameters_before, step + 1, log);
    ++step;
    samples += batch_size;
    position += batch_size;
    log.add(step, "grad_norm_l2", norm_l2);
    log.add(step, "grad_norm_l1", norm_l1);
    window_loss += loss_value;
    window_seconds += std::chrono::duration<double>(Clock::now() - step_start).count();
    ++window_steps;
    const bool epoch_done = position == n;
    const bool budget_done = (epoch_done && epoch + 1 == run.train.epochs) || step >= max_steps;
    if (step % run.train.log_every == 0 || budget_done) {
      log.add(step, "train_loss", window_loss / static_cast<double>(window_steps));
      log.add(step, "lr", lr);
      for (const auto& [name, hyper_schedule] : hyper_schedules) {
        log.add(step, name, run.optimizer.hyper.at(name) * hyper_schedule.factor(schedule_position));
      }
      log.add(step, "batch_size", static_cast<double>(batch_size));
      log.add(step, "samples", static_cast<double>(samples));
      log.add(step, "step_time_ms", 1e3 * window_seconds / static_cast<double>(window_steps));
      for (const auto& [name, value] : model->probe_values()) log.add(step, name, value);  // of the last training batch
      if (parallel) {
        log.add(step, "comm_bits_per_worker", window_bits / static_cast<double>(window_steps));
        log.add(step, "comm_time_ms", 1e3 * window_exchange_seconds / static_cast<double>(window_steps));
      }
      window_loss = window_seconds = window_bits = window_exchange_seconds = 0.0;
      window_steps = 0;
    }
    if (run.diagnostics.example_losses_every > 0 && (step % run.diagnostics.example_losses_every == 0 || step == 1)) {
      track_example_losses(*model, train_data, run, loss_tracker, step, log);
    }
    if (run.diagnostics.sharpness_every > 0 && step % run.diagnostics.sharpness_every == 0) {
      measure_sharpness(*model, train_data, run, *optimizer, lr, step, log);
    }
    const StepEvent event{step, epoch, loss_value, lr};
    for (Callback* callback : callbacks) keep_going = callback->on_step_end(event) && keep_going;
    // A signal that lands on one rank after the agreement is acted on at the next step's, by all
    // ranks together: a rank that stopped alone would leave the others waiting in a collective.
    if (parallel ? agreed_stop : interrupt_flag().load()) keep_going = false;
    if (run.train.eval_every_samples > 0 && samples >= next_evaluation && !epoch_done && !budget_done) {
      record_evaluation(log, result.summary, step, "test", evaluate(*model, test_data));
      if (has_validation) record_evaluation(log, result.summary, step, "val", evaluate(*model, validation_data));
    }
    while (run.train.eval_every_samples > 0 && next_evaluation <= samples) next_evaluation += run.train.eval_every_samples;
    if (epoch_done || budget_done) {
      if (parallel) parallel->check_replicas_agree(*model);
      const Evaluation test = evaluate(*model, test_data);
      record_evaluation(log, result.summary, step, "test", test);
      EpochEvent epoch_event{step, epoch, test.loss, test.accuracy, {{"test_loss", test.loss}, {"test_accuracy", test.accuracy}}};
      if (has_validation) {
        const Evaluation validation = evaluate(*model, validation_data);
        record_evaluation(log, result.summary, step, "val", validation);
        epoch_event.evaluation.insert({{"val_loss", validation.loss}, {"val_accuracy", validation.accuracy}});
      }
      if (budget_done && run.evaluate_train) {
        // Summary values only: "train_loss" rows are the running training loss already.
        const Evaluation on_train = evaluate(*model, train_data);
        result.summary["final_train_loss"] = on_train.loss;
        if (!std::isnan(on_train.accuracy)) result.summary["final_train_accuracy"] = on_train.accuracy;
      }
      log.add(step, "epoch", static_cast<double>(epoch + 1));
      for (Callback* callback : callbacks) keep_going = callback->on_epoch_end(epoch_event) && keep_going;
      if (budget_done) break;
      loader.start_epoch(++epoch);
      position = 0;
    }
    if (checkpointing && step % run.train.checkpoint_every == 0) {
      save_checkpoint(run.checkpoint, *model, *optimizer, parallel.get(),
                      {step, samples, epoch, position, next_evaluation, window_steps, sizer.current(), window_loss, window_bits}, log,
                      result.summary);
    }
  }

  // A signal may have reached some ranks after the last agreement: settle it once more, so that
  // every rank ends the run, and goes on to the next, the same way.
  if (parallel) interrupt_flag() = parallel->agree(interrupt_flag().load());
  const bool completed = (epoch + 1 == run.train.epochs && position == n) || step >= max_steps;
  if (result.end != RunEnd::diverged && (interrupt_flag().load() || !completed)) result.end = RunEnd::stopped;
  result.steps = step;
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
  result.summary["steps"] = static_cast<double>(step);
  result.summary["samples"] = static_cast<double>(samples);
  result.summary["final_batch_size"] = static_cast<double>(sizer.size(samples / run.train.batch_size));
  result.summary["wall_time_s"] = result.wall_seconds;
  result.summary["parameters"] = static_cast<double>(info.parameters);
  if (result.wall_seconds > 0) result.summary["samples_per_s"] = static_cast<double>(samples) / result.wall_seconds;
  if (parallel) {
    result.summary["comm_workers"] = static_cast<double>(parallel->workers());
    result.summary["comm_ranks"] = static_cast<double>(transport.size());
    result.summary["comm_bytes_per_worker"] = parallel->total_bits_per_worker() / 8.0;
    if (parallel->total_bits_per_worker() > 0 && step > 0) {
      result.summary["comm_compression_ratio"] =
          parallel->dense_bits_per_worker() * static_cast<double>(step) / parallel->total_bits_per_worker();
    }
  }
  result.metrics = std::move(log.rows);
  if (!run.model_path.empty() && result.end == RunEnd::finished) {
    torch::serialize::OutputArchive archive;
    model->save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    env::write_file_atomically(run.model_path, bytes.str());
  }
  for (Callback* callback : callbacks) callback->on_end({result.end, step, result.wall_seconds});
  return result;
}

}  // namespace descent::train
