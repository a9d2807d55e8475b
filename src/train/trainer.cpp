#include "descent/train/trainer.hpp"

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <cmath>

#include "data_parallel.hpp"
#include "descent/attack/attacks.hpp"
#include "descent/batch/adaptive_batch.hpp"
#include "descent/batch/batch_sizer.hpp"
#include "descent/comm/transport.hpp"
#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/metric_log.hpp"
#include "descent/core/rng.hpp"
#include "descent/data/batch_loader.hpp"
#include "descent/data/tensors.hpp"
#include "descent/diag/probe.hpp"
#include "descent/models/models.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "descent/schedule/schedule.hpp"
#include "descent/train/checkpoint_integrity.hpp"
#include "descent/models/learning_rate_groups.hpp"
#include "descent/train/loop_state.hpp"

namespace descent::train {
namespace {

using Clock = std::chrono::steady_clock;

// Who runs train.threads threads. Two pools spinning at once starve each other (an MLP epoch ran
// at 0.23-0.35x of 1 thread with both at 2), so one owns them (bench/results/2026-11-30-avx512.md):
//   - an MLP's time is its GEMMs, and LibTorch runs them on OpenBLAS's pool: OpenBLAS gets the
//     threads, LibTorch and the fused step one (1.48-1.53x on 2 threads; OpenMP-owned: 1.0x);
//   - convolutions and the other models' kernels run on LibTorch's OpenMP pool: it gets the
//     threads and OpenBLAS stays pinned to 1 (the CNN: 1.6-1.7x; OpenBLAS-owned: 0.99x).
struct ThreadPlan {
  int torch = 1, blas = 1, fused_step = 1;
};

ThreadPlan thread_plan(const TrainingRun& run) {
  const auto threads = static_cast<int>(run.train.threads);
  if (run.model.kind == "mlp" && threads > 1) return {1, threads, 1};
  return {threads, 1, threads};
}

// OpenBLAS's pool back to one thread when a run ends, however it ends.
class BlasThreads {
public:
  explicit BlasThreads(int threads) { env::set_blas_threads(threads); }
  ~BlasThreads() { env::pin_blas_threads_to_one(); }
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;
};

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
Evaluation evaluate_split(models::Model& model, const data::LabeledTensors& data) {
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

std::int64_t count_parameters(models::Model& model) {
  std::int64_t count = 0;
  for (const auto& p : model.parameters()) count += p.numel();
  return count;
}

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

// A checkpoint that cannot be read back (truncated, foreign, of another config).
struct CheckpointError : Error {
  explicit CheckpointError(const std::string& message) : Error(ExitCode::runtime_failure, message) {}
};

void save_checkpoint(const std::filesystem::path& path, models::Model& model, const optim::Optimizer& optimizer,
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
  archive.write("loop", c10::IValue(loop_state_json(state, log, summary)));
  std::ostringstream bytes;
  archive.save_to(bytes);
  env::write_file_atomically(path, bytes.str());
}

LoopState load_checkpoint(const std::filesystem::path& path, const LoopBounds& bounds, models::Model& model,
                          optim::Optimizer& optimizer, DataParallel* parallel, MetricLog& log,
                          std::map<std::string, double>& summary) {
  torch::serialize::InputArchive archive, model_archive, optimizer_archive, comm_archive;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot be opened");
    const std::string bytes(std::istreambuf_iterator<char>(in), {});
    verify_archive_checksums(bytes, "ZIP archive");
    archive.load_from(bytes.data(), bytes.size());
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
    return parse_loop_state(loop_value.toStringRef(), bounds, log, summary);
  } catch (const c10::Error& error) {  // without LibTorch's 20-frame backtrace
    throw CheckpointError(fmt::format("{}: not a usable checkpoint of this run: {}", path.string(), error.what_without_backtrace()));
  } catch (const std::exception& error) {
    throw CheckpointError(fmt::format("{}: not a usable checkpoint of this run: {}", path.string(), error.what()));
  }
}

std::unique_ptr<DataParallel> make_data_parallel(const TrainingRun& run, models::Model& model, comm::Transport& transport) {
  comm::ExchangeConfig config;
  config.workers = static_cast<std::size_t>(run.comm.workers > 0 ? run.comm.workers : transport.size());
  config.compressor = run.comm.compressor;
  config.feedback = run.comm.feedback;
  config.smoothness = run.comm.smoothness;
  config.momentum = run.comm.momentum;
  config.seed = run.seed;
  return std::make_unique<DataParallel>(config, model, transport);
}

// One run in progress: its model, optimizer, data, schedules and probes, and where the loop is.
// train() below reads as the loop's outline; each step of it is a method here.
class Loop {
public:
  struct Batch {
    torch::Tensor x, y;
    std::int64_t size = 0;
    std::int64_t schedule_position = 0;
    Clock::time_point start;
  };

  Loop(const TrainingRun& run, const data::Splits& splits, std::span<Callback* const> callbacks)
      : run_(run),
        callbacks_(callbacks),
        classification_(splits.train.task == data::Task::classification),
        model_(make_model(run, splits)),
        optimizer_(run.optimizer.name, run.optimizer.hyper, models::learning_rate_groups(*model_, run.optimizer.name, run.optimizer.hyper),
                   fused_options(run)),
        transport_(comm::world()),
        train_data_(data::as_tensors(splits.train)),
        test_data_(data::as_tensors(splits.test)),
        has_validation_(splits.validation.size() > 0),
        validation_data_(has_validation_ ? data::as_tensors(splits.validation) : data::LabeledTensors{}),
        n_(splits.train.size()),
        loader_(n_, run.train.batch_size, run.seed),
        total_steps_(planned_steps(run.train, n_)),
        max_steps_(run.train.max_steps > 0 ? run.train.max_steps : INT64_MAX),
        schedule_(run.schedule, total_steps_),
        sizer_(run.batch, run.train.batch_size, n_, total_steps_, optimizer_.description()),
        probes_(diag::make_probes(run.diagnostics)),
        start_(Clock::now()) {
    if (run.comm.workers > 1 || transport_.size() > 1) parallel_ = make_data_parallel(run, *model_, transport_);
    for (const auto& [name, spec] : run.hyper_schedules) {
      if (run.optimizer.hyper.count(name)) hyper_schedules_.emplace(name, schedule::Schedule(spec, total_steps_));
    }
    state_.next_evaluation = run.train.eval_every_samples;
    info_ = {run.optimizer.label, run.seed, total_steps_, loader_.batches_per_epoch(), run.train.epochs, count_parameters(*model_)};
  }

  void begin() {
    for (Callback* callback : callbacks_) callback->on_begin(info_);
  }

  void resume_from_checkpoint() {
    if (checkpointing() && std::filesystem::exists(run_.checkpoint)) {
      state_ = load_checkpoint(run_.checkpoint, {n_, run_.train.epochs}, *model_, optimizer_, parallel_.get(), log_, result_.summary);
      fmt::print(stderr, "resuming from {} at step {}\n", run_.checkpoint.string(), state_.step);
      sizer_.restore(state_.batch);
    }
    loader_.start_epoch(state_.epoch);
  }

  bool continues() const { return keep_going_ && state_.step < max_steps_; }

  // The next batch, with the step's learning rate and scheduled hyperparameters set. Schedules run
  // over the steps a constant batch would take; with a changing batch a step's position is the
  // samples seen so far in units of the base batch, so the schedule still spans the sample budget.
  Batch next_batch() {
    Batch batch;
    batch.start = Clock::now();
    batch.schedule_position = sizer_.constant() ? state_.step : state_.samples / run_.train.batch_size;
    batch.size = std::min(sizer_.size(batch.schedule_position), n_ - state_.position);  // batches end with the epoch
    const auto indices = loader_.range(state_.position, batch.size);
    const torch::Tensor index = torch::from_blob(const_cast<std::int64_t*>(indices.data()), {batch.size}, torch::kInt64);
    batch.x = train_data_.features.index_select(0, index);
    batch.y = train_data_.targets.index_select(0, index);
    if (run_.train.adversarial) batch.x = attacked(batch);
    optimizer_.set_learning_rate_factor(schedule_.factor(batch.schedule_position) * sizer_.lr_factor());
    for (const auto& [name, hyper_schedule] : hyper_schedules_) {
      optimizer_.set_hyperparameter_factor(name, hyper_schedule.factor(batch.schedule_position));
    }
    return batch;
  }

  // The batch's attack on the current model, drawn from (seed, step) so a resumed run repeats it.
  // In eval mode: the attack's forward passes must not move batch-norm running statistics.
  torch::Tensor attacked(const Batch& batch) {
    torch::Generator generator = at::detail::createCPUGenerator(Rng::derived(run_.seed, static_cast<std::uint64_t>(state_.step)).next());
    model_->eval();
    const torch::Tensor x = attack::perturb(*model_, batch.x, batch.y, classification_, *run_.train.adversarial, generator);
    model_->train();
    return x;
  }

  // Forward and backward (or the data-parallel exchange): the batch's loss, gradients in .grad.
  double gradient(const Batch& batch) {
    optimizer_.zero_grad();
    if (!parallel_) {
      const torch::Tensor loss = loss_of(model_->forward(batch.x), batch.y, classification_, false, run_.train.z_loss);
      const double value = loss.item<double>();
      if (std::isfinite(value)) loss.backward();
      return value;
    }
    bool stop = interrupt_flag().load();
    const auto shard_loss = [&](const torch::Tensor& xs, const torch::Tensor& ys) {
      return loss_of(model_->forward(xs), ys, classification_, false, run_.train.z_loss);
    };
    const double value = parallel_->gradient(batch.x, batch.y, shard_loss, state_.step, stop);
    agreed_stop_ = stop;  // the ranks' common decision
    if (stop) interrupt_flag() = true;
    state_.window.bits += parallel_->last_bits_per_worker();
    state_.window.exchange_seconds += parallel_->last_exchange_seconds();
    return value;
  }

  // A loss that is not finite, or above train.divergence_factor x the first step's loss (0: off):
  // lr = 1e6 ends at chance with a huge but finite loss, and must not count as finished.
  bool diverges(double loss) {
    if (!std::isfinite(loss)) return true;
    if (std::isnan(state_.initial_loss)) state_.initial_loss = loss;
    const double factor = run_.train.divergence_factor;
    return factor > 0 && loss > factor * state_.initial_loss;
  }

  void mark_diverged() {
    result_.end = RunEnd::diverged;
    result_.diverged_step = state_.step + 1;
  }

  // Probes see the gradients, the batch sizer tests them, the optimizer steps, probes see the result.
  void update(const Batch& batch, double loss) {
    const diag::StepView view{state_.step + 1, *model_, batch.x, batch.y, loss, optimizer_.learning_rate(0), optimizer_,
                              train_data_, (state_.step + 1) % run_.train.log_every == 0};
    for (auto& probe : probes_) probe->after_backward(view, log_);
    sizer_.after_backward(*model_, batch.x, batch.y, classification_, state_.step);
    optimizer_.step(loss);
    ++state_.step;
    state_.samples += batch.size;
    state_.position += batch.size;
    for (auto& probe : probes_) probe->after_update(view, log_);
  }

  // The running averages at log steps, the callbacks, and an interrupt.
  void record(const Batch& batch, double loss) {
    state_.window.loss += loss;
    state_.window.seconds += std::chrono::duration<double>(Clock::now() - batch.start).count();
    ++state_.window.steps;
    const std::int64_t step = state_.step;
    const double lr = optimizer_.learning_rate(0);
    if (step % run_.train.log_every == 0 || budget_done()) log_window(batch, lr);
    const StepEvent event{step, state_.epoch, loss, lr};
    for (Callback* callback : callbacks_) keep_going_ = callback->on_step_end(event) && keep_going_;
    // A signal that lands on one rank after the agreement is acted on at the next step's, by all
    // ranks together: a rank that stopped alone would leave the others waiting in a collective.
    if (parallel_ ? agreed_stop_ : interrupt_flag().load()) keep_going_ = false;
  }

  // Evaluations due at this step; at the end of an epoch, the epoch's. True when the budget is spent.
  bool evaluate() {
    const bool epoch_done = state_.position == n_, done = budget_done();
    const std::int64_t every = run_.train.eval_every_samples;
    if (every > 0 && state_.samples >= state_.next_evaluation && !epoch_done && !done) evaluate_splits();
    while (every > 0 && state_.next_evaluation <= state_.samples) state_.next_evaluation += every;
    if (!epoch_done && !done) return false;
    close_epoch(done);
    if (done) return true;
    loader_.start_epoch(++state_.epoch);
    state_.position = 0;
    return false;
  }

  void checkpoint_if_due() {
    if (!checkpointing() || state_.step % run_.train.checkpoint_every != 0) return;
    state_.batch = sizer_.current();
    save_checkpoint(run_.checkpoint, *model_, optimizer_, parallel_.get(), state_, log_, result_.summary);
  }

  RunResult finish() {
    // A signal may have reached some ranks after the last agreement: settle it once more, so that
    // every rank ends the run, and goes on to the next, the same way.
    if (parallel_) interrupt_flag() = parallel_->agree(interrupt_flag().load());
    const bool completed = (state_.epoch + 1 == run_.train.epochs && state_.position == n_) || state_.step >= max_steps_;
    if (result_.end != RunEnd::diverged && (interrupt_flag().load() || !completed)) result_.end = RunEnd::stopped;
    result_.steps = state_.step;
    result_.wall_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    summarize();
    result_.metrics = std::move(log_.rows);
    if (!run_.model_path.empty() && result_.end == RunEnd::finished) save_model();
    for (Callback* callback : callbacks_) callback->on_end({result_.end, state_.step, result_.wall_seconds});
    return std::move(result_);
  }

private:
  static std::shared_ptr<models::Model> make_model(const TrainingRun& run, const data::Splits& splits) {
    const bool classification = splits.train.task == data::Task::classification;
    return models::make_model(run.model, splits.train.sample_shape, classification ? splits.train.num_classes : 1);
  }
  static optim::FusedOptions fused_options(const TrainingRun& run) {
    optim::FusedOptions fused;
    fused.threads = thread_plan(run).fused_step;
    return fused;
  }

  bool checkpointing() const { return run_.train.checkpoint_every > 0 && !run_.checkpoint.empty(); }
  bool budget_done() const {
    return (state_.position == n_ && state_.epoch + 1 == run_.train.epochs) || state_.step >= max_steps_;
  }

  void log_window(const Batch& batch, double lr) {
    const std::int64_t step = state_.step;
    const double steps = static_cast<double>(state_.window.steps);
    log_.add(step, "train_loss", state_.window.loss / steps);
    log_.add(step, "lr", lr);
    for (const auto& [name, hyper_schedule] : hyper_schedules_) log_.add(step, name, optimizer_.hyperparameter(0, name));
    log_.add(step, "batch_size", static_cast<double>(batch.size));
    log_.add(step, "samples", static_cast<double>(state_.samples));
    log_.add(step, "step_time_ms", 1e3 * state_.window.seconds / steps);
    for (const auto& [name, value] : model_->probe_values()) log_.add(step, name, value);  // of the last training batch
    if (parallel_) {
      log_.add(step, "comm_bits_per_worker", state_.window.bits / steps);
      log_.add(step, "comm_time_ms", 1e3 * state_.window.exchange_seconds / steps);
    }
    state_.window = {};
  }

  // Test (and validation) loss and accuracy now, recorded; what the epoch callbacks receive.
  std::map<std::string, double> evaluate_splits() {
    std::map<std::string, double> evaluations;
    const auto measure = [&](const std::string& split, const data::LabeledTensors& data) {
      const Evaluation evaluation = evaluate_split(*model_, data);
      record_evaluation(log_, result_.summary, state_.step, split, evaluation);
      evaluations[split + "_loss"] = evaluation.loss;
      evaluations[split + "_accuracy"] = evaluation.accuracy;
    };
    measure("test", test_data_);
    if (has_validation_) measure("val", validation_data_);
    return evaluations;
  }

  void close_epoch(bool budget_spent) {
    if (parallel_) parallel_->check_replicas_agree(*model_);
    const auto evaluations = evaluate_splits();
    const EpochEvent event{state_.step, state_.epoch, evaluations.at("test_loss"), evaluations.at("test_accuracy"), evaluations};
    if (budget_spent && run_.evaluate_train) {
      // Summary values only: "train_loss" rows are the running training loss already.
      const Evaluation on_train = evaluate_split(*model_, train_data_);
      result_.summary["final_train_loss"] = on_train.loss;
      if (!std::isnan(on_train.accuracy)) result_.summary["final_train_accuracy"] = on_train.accuracy;
    }
    log_.add(state_.step, "epoch", static_cast<double>(state_.epoch + 1));
    for (Callback* callback : callbacks_) keep_going_ = callback->on_epoch_end(event) && keep_going_;
  }

  void summarize() {
    auto& summary = result_.summary;
    summary["steps"] = static_cast<double>(state_.step);
    summary["samples"] = static_cast<double>(state_.samples);
    summary["final_batch_size"] = static_cast<double>(sizer_.size(state_.samples / run_.train.batch_size));
    summary["wall_time_s"] = result_.wall_seconds;
    summary["parameters"] = static_cast<double>(info_.parameters);
    if (result_.wall_seconds > 0) summary["samples_per_s"] = static_cast<double>(state_.samples) / result_.wall_seconds;
    if (!parallel_) return;
    summary["comm_workers"] = static_cast<double>(parallel_->workers());
    summary["comm_ranks"] = static_cast<double>(transport_.size());
    summary["comm_bytes_per_worker"] = parallel_->total_bits_per_worker() / 8.0;
    if (parallel_->total_bits_per_worker() > 0 && state_.step > 0) {
      summary["comm_compression_ratio"] = parallel_->dense_bits_per_worker() * static_cast<double>(state_.step) / parallel_->total_bits_per_worker();
    }
  }

  void save_model() const {
    torch::serialize::OutputArchive archive;
    model_->save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    env::write_file_atomically(run_.model_path, bytes.str());
  }

  const TrainingRun& run_;
  std::span<Callback* const> callbacks_;
  bool classification_;
  std::shared_ptr<models::Model> model_;
  optim::Optimizer optimizer_;
  comm::Transport& transport_;
  std::unique_ptr<DataParallel> parallel_;
  data::LabeledTensors train_data_, test_data_;
  bool has_validation_;
  data::LabeledTensors validation_data_;
  std::int64_t n_;
  data::BatchLoader loader_;
  std::int64_t total_steps_, max_steps_;
  schedule::Schedule schedule_;
  std::map<std::string, schedule::Schedule> hyper_schedules_;
  batch::BatchSizer sizer_;
  std::vector<std::unique_ptr<diag::Probe>> probes_;
  RunInfo info_;
  Clock::time_point start_;
  LoopState state_;
  MetricLog log_;
  RunResult result_;
  bool keep_going_ = true, agreed_stop_ = false;
};

// Hoffer et al.'s regime adaptation: as many updates as the reference batch would make.
TrainingRun with_regime_adaptation(TrainingRun run) {
  if (run.batch.regime_adaptation) {
    const std::int64_t reference = run.batch.reference > 0 ? run.batch.reference : run.train.batch_size;
    run.train.epochs = batch::regime_adapted_epochs(run.train.epochs, run.train.batch_size, reference);
  }
  return run;
}

// The run's loop, resumed from its checkpoint when there is one. A checkpoint that cannot be read
// back would block the run on every rerun: it is moved aside (FILE.corrupt) with a one-line
// warning, and the run starts again from step 0.
std::unique_ptr<Loop> start(const TrainingRun& run, const data::Splits& splits, std::span<Callback* const> callbacks) {
  torch::manual_seed(run.seed);
  auto loop = std::make_unique<Loop>(run, splits, callbacks);
  try {
    loop->resume_from_checkpoint();
  } catch (const CheckpointError& error) {
    const std::filesystem::path aside = run.checkpoint.string() + ".corrupt";
    std::filesystem::rename(run.checkpoint, aside);
    fmt::print(stderr, "warning: {}; moved it to {} and starting the run again\n", error.what(), aside.string());
    torch::manual_seed(run.seed);
    loop = std::make_unique<Loop>(run, splits, callbacks);
    loop->resume_from_checkpoint();
  }
  loop->begin();
  return loop;
}

}  // namespace

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

std::int64_t planned_steps(const TrainOptions& train, std::int64_t train_size) {
  const std::int64_t per_epoch = (train_size + train.batch_size - 1) / train.batch_size;
  const std::int64_t total = per_epoch * train.epochs;
  return train.max_steps > 0 ? std::min(total, train.max_steps) : total;
}


RunResult train(const TrainingRun& requested, const data::Splits& splits, std::span<Callback* const> callbacks) {
  const TrainingRun run = with_regime_adaptation(requested);
  const ThreadPlan threads = thread_plan(run);
  torch::set_num_threads(threads.torch);
  const BlasThreads blas(threads.blas);
  const std::unique_ptr<Loop> loop = start(run, splits, callbacks);
  while (loop->continues()) {
    const Loop::Batch batch = loop->next_batch();
    const double loss = loop->gradient(batch);
    if (loop->diverges(loss)) {
      loop->mark_diverged();
      break;
    }
    loop->update(batch, loss);
    loop->record(batch, loss);
    if (loop->evaluate()) break;
    loop->checkpoint_if_due();
  }
  return loop->finish();
}

}  // namespace descent::train
