// The training loop: determinism, divergence, every catalog optimizer, models.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "descent/attack/attacks.hpp"
#include "descent/data/splits.hpp"
#include "descent/data/tensors.hpp"
#include "descent/lab.hpp"
#include "descent/models/models.hpp"
#include <cmath>
#include "descent/optim/description.hpp"
#include "descent/study/study_runner.hpp"
#include "descent/train/lr_finder.hpp"
#include "descent/train/trainer.hpp"
#include "helpers.hpp"

namespace descent::train {
namespace {

study::StudyConfig small_study(const std::string& optimizer = "sgd", double lr = 0.1) {
  const std::string text = R"toml(
[study]
name = "unit"
[data]
dataset = "gaussian-mixture"
train_size = 600
test_size = 200
features = 10
classes = 3
validation = 100
[model]
hidden = [16]
[train]
epochs = 2
batch_size = 32
log_every = 5
[[optimizers]]
name = ")toml" + optimizer + "\"\nlr = " + std::to_string(lr) + "\n";
  return study::parse_study_config(text, "unit.toml");
}

TrainingRun run_of(const study::StudyConfig& config, std::uint64_t seed) { return study::training_run(config, 0, seed); }

// Metric rows that are results (wall time is not).
std::vector<std::tuple<std::int64_t, std::string, double>> result_rows(const RunResult& r) {
  std::vector<std::tuple<std::int64_t, std::string, double>> rows;
  for (const auto& row : r.metrics) {
    if (row.name != "step_time_ms" && row.name != "comm_time_ms") rows.emplace_back(row.step, row.name, row.value);
  }
  return rows;
}

std::map<std::string, std::vector<double>> series(const RunResult& r) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& row : r.metrics) out[row.name].push_back(row.value);
  return out;
}

// A run stopped after step `stop_at` with a checkpoint every `every` steps, then resumed from it.
struct StoppedAndResumed {
  RunResult first, resumed;
  bool checkpoint_kept = false;  // after the stop
};

StoppedAndResumed stop_and_resume(TrainingRun run, const data::Splits& splits, std::int64_t every, std::int64_t stop_at) {
  testing::TempDir dir;
  run.train.checkpoint_every = every;
  run.checkpoint = dir / "run.pt";
  struct StopAt : Callback {
    std::int64_t at;
    explicit StopAt(std::int64_t step) : at(step) {}
    bool on_step_end(const StepEvent& event) override { return event.step < at; }
  } stop(stop_at);
  Callback* callbacks[] = {&stop};
  StoppedAndResumed out;
  out.first = train(run, splits, callbacks);
  out.checkpoint_kept = std::filesystem::exists(run.checkpoint);
  out.resumed = train(run, splits);
  return out;
}

TEST(Trainer, SameSeedGivesBitIdenticalMetrics) {
  const auto config = small_study("adam", 0.01);
  const data::Splits splits = data::load_splits(config.data);
  const RunResult a = train(run_of(config, 3), splits), b = train(run_of(config, 3), splits);
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    if (a.metrics[i].name == "step_time_ms") continue;  // wall time, not a result
    EXPECT_EQ(a.metrics[i].name, b.metrics[i].name);
    EXPECT_EQ(a.metrics[i].value, b.metrics[i].value) << a.metrics[i].name << " at step " << a.metrics[i].step;
  }
  const RunResult other = train(run_of(config, 4), splits);
  EXPECT_NE(a.summary.at("final_test_loss"), other.summary.at("final_test_loss"));
}

// train.threads = 2 on an MLP hands the threads to OpenBLAS for the run (trainer.cpp, thread_plan):
// the run still repeats bit for bit, and OpenBLAS's pool is back to one thread afterwards, so
// LibTorch's OpenMP threads elsewhere in the process meet no second pool.
TEST(Trainer, AnMlpOnTwoThreadsRepeatsBitForBitAndReturnsOpenBlasToOneThread) {
  const auto config = small_study("adam", 0.01);
  const data::Splits splits = data::load_splits(config.data);
  TrainingRun run = run_of(config, 3);
  run.train.threads = 2;
  using GetThreads = int (*)();
  const auto blas_threads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  struct BlasThreadsDuringTheRun : Callback {
    GetThreads get = nullptr;
    int seen = 0;
    bool on_step_end(const StepEvent&) override {
      if (get) seen = get();
      return true;
    }
  } during;
  during.get = blas_threads;
  Callback* callbacks[] = {&during};
  const RunResult a = train(run, splits, callbacks), b = train(run, splits);
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    if (a.metrics[i].name != "step_time_ms") EXPECT_EQ(a.metrics[i].value, b.metrics[i].value) << a.metrics[i].name;
  }
  if (blas_threads) {  // OpenBLAS is the BLAS LibTorch loaded here (Debian's libopenblas0-pthread)
    EXPECT_EQ(during.seen, 2);
    EXPECT_EQ(blas_threads(), 1);
  }
}

constexpr double kAttackEps = 1.0;

// Accuracy of a saved model on the test split attacked by PGD (L-infinity, eps kAttackEps).
double robust_accuracy(const study::StudyConfig& config, const data::Splits& splits, const std::filesystem::path& saved) {
  const auto model = models::make_model(config.model, {10}, 3);
  load_model(*model, saved);
  model->eval();
  torch::Generator generator = at::detail::createCPUGenerator(99);
  const data::LabeledTensors test = data::as_tensors(splits.test);
  const torch::Tensor attacked =
      attack::perturb(*model, test.features, test.targets, true, {.kind = "pgd", .eps = kAttackEps, .step_size = kAttackEps / 5, .steps = 20}, generator);
  torch::NoGradGuard no_grad;
  return model->forward(attacked).argmax(1).eq(test.targets).to(torch::kFloat64).mean().item<double>();
}

// [train] adversarial: each batch is replaced by its PGD attack. The same seed repeats the run bit
// for bit, and the adversarially trained model keeps more accuracy under attack than the standard one.
TEST(Trainer, AdversarialTrainingIsDeterministicAndRobust) {
  const std::string adversarial =
      fmt::format("[train]\nadversarial = {{ attack = \"pgd\", eps = {}, step_size = {}, steps = 5 }}\nepochs = 4", kAttackEps, kAttackEps / 4);
  std::string text = R"toml(
[study]
name = "robust"
[data]
dataset = "gaussian-mixture"
train_size = 600
test_size = 300
features = 10
classes = 3
separation = 1.5
[model]
hidden = [32]
)toml";
  const auto standard = study::parse_study_config(text + "[train]\nepochs = 4\n[[optimizers]]\nname = \"adam\"\nlr = 0.01\n", "s.toml");
  const auto robust = study::parse_study_config(text + adversarial + "\n[[optimizers]]\nname = \"adam\"\nlr = 0.01\n", "r.toml");
  ASSERT_TRUE(robust.train.adversarial);
  EXPECT_EQ(robust.train.adversarial->steps, 5);
  const data::Splits splits = data::load_splits(standard.data);
  testing::TempDir dir;
  TrainingRun standard_run = run_of(standard, 1), robust_run = run_of(robust, 1);
  standard_run.model_path = dir / "standard.pt";
  robust_run.model_path = dir / "robust.pt";
  const RunResult plain = train(standard_run, splits), first = train(robust_run, splits), second = train(robust_run, splits);
  EXPECT_EQ(result_rows(first), result_rows(second));
  EXPECT_NE(result_rows(first), result_rows(plain));
  const double standard_robustness = robust_accuracy(standard, splits, dir / "standard.pt");
  const double robust_robustness = robust_accuracy(robust, splits, dir / "robust.pt");
  EXPECT_GT(robust_robustness, standard_robustness + 0.05) << standard_robustness << " vs " << robust_robustness;
  // The run key holds the attack; a study without one keeps its old key (nothing stored).
  EXPECT_TRUE(study::run_config_json(robust, 0, 1).at("train").contains("adversarial"));
  EXPECT_FALSE(study::run_config_json(standard, 0, 1).at("train").contains("adversarial"));
  EXPECT_EQ(study::study_config_of_run(study::run_config_json(robust, 0, 1), "run").train.adversarial->eps, kAttackEps);
}

TEST(Trainer, LearnsAndRecordsMetrics) {
  const auto config = small_study();
  const RunResult result = train(run_of(config, 0), data::load_splits(config.data));
  EXPECT_EQ(result.end, RunEnd::finished);
  EXPECT_EQ(result.steps, 2 * 16);  // 500 training samples after validation, batch 32
  EXPECT_GT(result.summary.at("final_test_accuracy"), 0.8);
  EXPECT_TRUE(result.summary.count("final_val_accuracy"));
  int train_loss_rows = 0;
  for (const auto& row : result.metrics) train_loss_rows += row.name == "train_loss";
  EXPECT_EQ(train_loss_rows, 32 / 5 + 1);  // every 5 steps and at the last step
}

TEST(Trainer, NonFiniteLossMarksTheRunDiverged) {
  auto config = small_study("sgd", 900.0);
  config.train.epochs = 20;
  const RunResult result = train(run_of(config, 0), data::load_splits(config.data));
  EXPECT_EQ(result.end, RunEnd::diverged);
  ASSERT_TRUE(result.diverged_step.has_value());
  EXPECT_LT(*result.diverged_step, 20 * 16);
  for (const auto& row : result.metrics) EXPECT_TRUE(std::isfinite(row.value)) << row.name;
}

TEST(Trainer, CallbacksCanStopTheRun) {
  struct StopAtFive : Callback {
    bool on_step_end(const StepEvent& event) override { return event.step < 5; }
  } stopper;
  const auto config = small_study();
  Callback* callbacks[] = {&stopper};
  const RunResult result = train(run_of(config, 0), data::load_splits(config.data), callbacks);
  EXPECT_EQ(result.end, RunEnd::stopped);
  EXPECT_EQ(result.steps, 5);
}

TEST(Trainer, EveryCatalogOptimizerReducesTheLoss) {
  // Rates stated per family: rules whose whole step has norm lr (normalized GD, Lion-K l2) or
  // that start from a tiny scalar (AdaGrad-Norm) need larger ones; AdaDelta's default is 1.
  const std::map<std::string, double> rates = {{"sgd", 0.1},          {"adagrad_norm", 0.5}, {"adadelta", 1.0},
                                               {"lion_l2", 0.5},       {"normalized_gd", 0.5}, {"loss_normalized_gd", 0.01}};
  for (const auto& info : optim::catalog()) {
    auto config = small_study(info.name, rates.count(info.name) ? rates.at(info.name) : 0.01);
    const RunResult result = train(run_of(config, 1), data::load_splits(config.data));
    EXPECT_EQ(result.end, RunEnd::finished) << info.name;
    EXPECT_LT(result.summary.at("final_test_loss"), std::log(3.0) * 0.5) << info.name;
  }
}

TEST(Trainer, MaxStepsCapsTheRun) {
  auto config = small_study();
  config.train.max_steps = 7;
  EXPECT_EQ(planned_steps(config.train, 500), 7);
  const RunResult result = train(run_of(config, 0), data::load_splits(config.data));
  EXPECT_EQ(result.steps, 7);
  EXPECT_EQ(result.end, RunEnd::finished);
}

TEST(Models, NamedParametersAndShapes) {
  torch::manual_seed(0);
  const auto mlp = models::make_model({"mlp", {256}, "relu"}, {1, 28, 28}, 10);
  const auto names = mlp->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  EXPECT_EQ(mlp->forward(torch::zeros({3, 1, 28, 28})).sizes(), (std::vector<std::int64_t>{3, 10}));

  const auto cnn = models::make_model({"cnn", {}, "relu"}, {1, 28, 28}, 10);
  EXPECT_EQ(cnn->named_parameters()["fc.weight"].sizes(), (std::vector<std::int64_t>{10, 512}));
  EXPECT_EQ(cnn->forward(torch::zeros({2, 1, 28, 28})).sizes(), (std::vector<std::int64_t>{2, 10}));

  const auto linear = models::make_model({"linear", {}, "relu"}, {5}, 1);
  EXPECT_EQ(linear->named_parameters().size(), 2u);
}

TEST(Trainer, AdaptiveBatchGrowsNeverShrinksAndIsCapped) {
  auto config = small_study("adagrad", 0.05);
  config.train.batch_size = 4;
  config.batch.policy = batch::BatchPolicy::adaptive;
  config.batch.threshold = 0.5;
  config.batch.max = 64;
  config.batch.lr_scaling = batch::LrScaling::sqrt;
  const RunResult result = train(run_of(config, 0), data::load_splits(config.data));
  EXPECT_EQ(result.end, RunEnd::finished);
  EXPECT_EQ(result.summary.at("samples"), 2 * 500);  // the sample budget is the same as a constant batch's
  std::set<std::int64_t> epoch_ends;
  for (const auto& row : result.metrics) {
    if (row.name == "epoch") epoch_ends.insert(row.step);
  }
  double previous = 0, last_lr = 0;
  for (const auto& row : result.metrics) {
    if (row.name == "batch_size" && !epoch_ends.count(row.step)) {
      // Only an epoch's last batch may be cut short (by the epoch's end); others never shrink.
      EXPECT_GE(row.value, previous) << "step " << row.step;
      previous = row.value;
      EXPECT_LE(row.value, 64);
    }
    if (row.name == "lr" && !epoch_ends.count(row.step)) last_lr = row.value;
  }
  EXPECT_GT(result.summary.at("final_batch_size"), 4);
  EXPECT_LT(result.steps, 2 * 500 / 4);
  // sqrt scaling: lr = 0.05 * sqrt(batch / 4) once the batch has grown.
  EXPECT_NEAR(last_lr, 0.05 * std::sqrt(result.summary.at("final_batch_size") / 4.0), 1e-12);
}

TEST(Trainer, ScheduledBatchFollowsItsSchedule) {
  auto config = small_study("sgd", 0.1);
  config.batch.policy = batch::BatchPolicy::scheduled;
  config.batch.schedule = schedule::default_spec("step");
  config.batch.schedule.params["step_size"] = 8;
  config.batch.schedule.params["gamma"] = 1.0;  // a constant factor: the same as a constant batch
  const RunResult scheduled = train(run_of(config, 0), data::load_splits(config.data));
  config.batch.policy = batch::BatchPolicy::constant;
  const RunResult constant = train(run_of(config, 0), data::load_splits(config.data));
  EXPECT_EQ(scheduled.summary.at("final_test_loss"), constant.summary.at("final_test_loss"));
}

TEST(LrFinder, SmoothingAndSuggestion) {
  const auto smoothed = smooth_losses({2.0, 2.0, 2.0}, 0.9);
  for (const double s : smoothed) EXPECT_NEAR(s, 2.0, 1e-12);  // bias correction: a constant stays constant
  // A loss flat until 1e-3, falling fastest around 1e-2, rising after 1e-1.
  std::vector<double> rates, losses;
  for (int i = 0; i <= 60; ++i) {
    const double log_lr = -5 + i * 0.1;
    rates.push_back(std::pow(10.0, log_lr));
    losses.push_back(2.0 - std::tanh(2 * (log_lr + 2)) + (log_lr > -1 ? 5 * (log_lr + 1) * (log_lr + 1) : 0.0));
  }
  EXPECT_NEAR(std::log10(suggest_learning_rate(rates, losses)), -2.0, 0.11);
}

TEST(LrFinder, RangeTestStopsWhenTheLossBlowsUp) {
  // Least squares: any rate above 2 / L diverges (a separable classification task may not).
  auto config = small_study("sgd", 0.1);
  config.data.dataset = "linear-regression";
  config.model.kind = "linear";
  const LrFindResult result = find_learning_rate(study::training_run(config, 0, config.seeds.front()), data::load_splits(config.data), {1e-5, 1e3, 100, 0.9});
  EXPECT_TRUE(result.stopped_early);
  EXPECT_LT(result.losses.size(), 100u);
  EXPECT_NEAR(result.learning_rates.front(), 1e-5, 1e-15);
  EXPECT_GT(result.suggestion, 1e-4);
  EXPECT_LT(result.suggestion, 1e2);
}

TEST(Trainer, WeightDecayFollowsItsSchedule) {
  auto config = small_study("adamw", 0.01);
  config.hyper_schedules["weight_decay"] = schedule::default_spec("linear");
  const RunResult result = train(run_of(config, 0), data::load_splits(config.data));
  std::vector<double> values;
  for (const auto& row : result.metrics) {
    if (row.name == "weight_decay") values.push_back(row.value);
  }
  ASSERT_GE(values.size(), 3u);
  EXPECT_NEAR(values.front(), 0.01 * (1.0 - 4.0 / 31.0), 1e-12);  // logged after step 5 (position 4 of 0..31)
  EXPECT_TRUE(std::is_sorted(values.rbegin(), values.rend()));
}

// A run stopped part-way and resumed from its checkpoint ends with the same bits as one that
// never stopped: schedules, batch growth, optimizer state and data order all pick up exactly.
TEST(Trainer, ResumedFromCheckpointGivesTheSameNumbers) {
  auto config = small_study("adagrad_norm", 0.5);
  config.train.epochs = 3;
  config.schedule = schedule::default_spec("cosine");
  config.batch.policy = batch::BatchPolicy::adaptive;
  config.batch.threshold = 2.0;
  config.batch.max = 128;
  config.train.batch_size = 8;
  const data::Splits splits = data::load_splits(config.data);
  const RunResult straight = train(run_of(config, 5), splits);

  const auto [first, resumed, checkpoint_kept] = stop_and_resume(run_of(config, 5), splits, 7, 20);
  EXPECT_EQ(first.end, RunEnd::stopped);
  ASSERT_TRUE(checkpoint_kept);
  EXPECT_EQ(resumed.end, RunEnd::finished);
  EXPECT_EQ(resumed.steps, straight.steps);

  EXPECT_EQ(result_rows(resumed), result_rows(straight));
  for (const char* key : {"final_test_loss", "final_test_accuracy", "final_val_loss", "final_batch_size", "samples"}) {
    EXPECT_EQ(resumed.summary.at(key), straight.summary.at(key)) << key;
  }
}

// Seed 2 of `config`, checkpointed every 4 steps to `checkpoint` and stopped at step 9: the
// checkpoint the corruption tests damage (the one from step 8).
TrainingRun run_stopped_at_step_nine(const study::StudyConfig& config, const data::Splits& splits,
                                     const std::filesystem::path& checkpoint) {
  TrainingRun run = run_of(config, 2);
  run.train.checkpoint_every = 4;
  run.checkpoint = checkpoint;
  struct StopAtNine : Callback {
    bool on_step_end(const StepEvent& event) override { return event.step < 9; }
  } stop;
  Callback* callbacks[] = {&stop};
  EXPECT_EQ(train(run, splits, callbacks).end, RunEnd::stopped);
  return run;
}

// A checkpoint that cannot be read back (here: truncated) is moved aside and the run starts over,
// ending with the numbers of a run that never stopped, instead of failing on every rerun.
TEST(Trainer, ACorruptCheckpointIsMovedAsideAndTheRunStartsOver) {
  const auto config = small_study();
  const data::Splits splits = data::load_splits(config.data);
  const RunResult straight = train(run_of(config, 2), splits);
  testing::TempDir dir;
  const TrainingRun run = run_stopped_at_step_nine(config, splits, dir / "run.pt");
  ASSERT_TRUE(std::filesystem::exists(run.checkpoint));
  std::filesystem::resize_file(run.checkpoint, std::filesystem::file_size(run.checkpoint) / 2);
  const RunResult again = train(run, splits);
  EXPECT_EQ(again.end, RunEnd::finished);
  EXPECT_TRUE(std::filesystem::exists(dir / "run.pt.corrupt"));
  EXPECT_EQ(result_rows(again), result_rows(straight));
}

// Seeded corruptions of a real checkpoint (bytes overwritten, ranges zeroed, the file cut short):
// each is either refused and moved aside, or touched only bytes that carry no state (ZIP
// timestamps, LibTorch's alignment padding) and resumes to the numbers of a run never stopped. The same
// practice as the fuzzers in fuzz/, for the one reader they cannot reach: LibTorch's archive with
// the model, optimizer and loop state inside (clang 14 cannot compile LibTorch 1.13's headers).
TEST(Trainer, EveryCorruptionOfACheckpointIsReadOrMovedAside) {
  const auto config = small_study("adam", 0.01);
  const data::Splits splits = data::load_splits(config.data);
  const RunResult straight = train(run_of(config, 2), splits);
  testing::TempDir dir;
  const TrainingRun run = run_stopped_at_step_nine(config, splits, dir / "run.pt");
  std::string original;
  {
    std::ifstream in(run.checkpoint, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(original.size(), 1000u);

  std::mt19937_64 random(16);
  int refused = 0, read = 0;
  for (int trial = 0; trial < 48; ++trial) {
    std::string bytes = original;
    const std::size_t at = random() % bytes.size();
    switch (trial % 3) {
      case 0:  // a few bytes overwritten
        for (std::size_t i = at; i < std::min(bytes.size(), at + 1 + random() % 8); ++i) bytes[i] = static_cast<char>(random());
        break;
      case 1:  // a range zeroed, as a torn write leaves it
        std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                  bytes.begin() + static_cast<std::ptrdiff_t>(std::min(bytes.size(), at + 512)), '\0');
        break;
      default:  // cut short
        bytes.resize(at);
    }
    { std::ofstream(run.checkpoint, std::ios::binary | std::ios::trunc) << bytes; }
    std::filesystem::remove(dir / "run.pt.corrupt");
    const RunResult result = train(run, splits);
    EXPECT_EQ(result.end, RunEnd::finished) << "trial " << trial;
    if (std::filesystem::exists(dir / "run.pt.corrupt")) {
      ++refused;
    } else {
      ++read;
      EXPECT_EQ(result_rows(result), result_rows(straight)) << "trial " << trial << " resumed from damaged state";
    }
  }
  EXPECT_GT(refused, 0);  // the corruptions reach the checks, not only the tensors' values
  std::printf("corrupted checkpoints: %d refused and moved aside, %d read back\n", refused, read);
}

// A huge but finite loss is a divergence too: at lr 1e6 the loss passes 1000 x its first value
// long before it overflows. With the factor off, the same run ends "finished".
TEST(Trainer, ALossFarAboveItsFirstValueIsADivergence) {
  auto config = small_study("sgd", 1e6);
  const data::Splits splits = data::load_splits(config.data);
  const RunResult diverged = train(run_of(config, 0), splits);
  EXPECT_EQ(diverged.end, RunEnd::diverged);
  ASSERT_TRUE(diverged.diverged_step.has_value());
  EXPECT_LT(*diverged.diverged_step, 10);
  config.train.divergence_factor = 0;
  config.train.max_steps = 2;
  const RunResult unchecked = train(run_of(config, 0), splits);
  EXPECT_NE(unchecked.end, RunEnd::diverged) << "the first steps' losses are finite";
  const RunResult normal = train(run_of(small_study(), 0), splits);
  EXPECT_EQ(normal.end, RunEnd::finished);
}

// Two simulated workers exchanging uncompressed gradients compute the whole batch's gradient:
// the run follows the single-worker one up to summation order.
TEST(DataParallel, UncompressedWorkersFollowTheSingleWorkerRun) {
  auto config = small_study("sgd", 0.1);
  const data::Splits splits = data::load_splits(config.data);
  const RunResult single = train(run_of(config, 1), splits);
  config.comm.workers = 3;  // 32-sample batches split 10/11/11: unequal shards are weighted
  const RunResult parallel = train(run_of(config, 1), splits);
  const auto a = series(single), b = series(parallel);
  ASSERT_EQ(a.at("train_loss").size(), b.at("train_loss").size());
  for (std::size_t i = 0; i < a.at("train_loss").size(); ++i) {
    EXPECT_NEAR(a.at("train_loss")[i], b.at("train_loss")[i], 1e-5 * a.at("train_loss")[i]);
  }
  EXPECT_NEAR(single.summary.at("final_test_loss"), parallel.summary.at("final_test_loss"), 1e-5);
  EXPECT_EQ(parallel.summary.at("comm_workers"), 3.0);
  const double d = parallel.summary.at("parameters");
  EXPECT_EQ(b.at("comm_bits_per_worker").front(), 32.0 * d);
  EXPECT_EQ(parallel.summary.at("comm_compression_ratio"), 1.0);
}

// EF21 with TopK: every round after the first sends K (index, value) pairs; bits are exact.
TEST(DataParallel, Ef21TopKSendsItsExactBitsAndStillLearns) {
  auto config = small_study("sgd", 0.1);
  config.comm.workers = 2;
  config.comm.compressor.name = "topk";
  config.comm.compressor.k = 20;
  config.comm.feedback = comm::Feedback::ef21;
  const RunResult result = train(run_of(config, 2), data::load_splits(config.data));
  const auto metrics = series(result);
  const double d = result.summary.at("parameters");  // 10*16+16 + 16*3+3 = 227
  ASSERT_EQ(d, 227.0);
  const double per_round = 20.0 * (8 + 32);          // ceil(log2 227) = 8 index bits
  EXPECT_EQ(metrics.at("comm_bits_per_worker")[1], per_round);
  EXPECT_EQ(metrics.at("comm_bits_per_worker")[0], (32.0 * d + 4 * per_round) / 5);  // first window has the dense round
  const double steps = result.summary.at("steps");
  EXPECT_EQ(result.summary.at("comm_bytes_per_worker"), (32.0 * d + (steps - 1) * per_round) / 8);
  EXPECT_LT(metrics.at("train_loss").back(), 0.5 * metrics.at("train_loss").front());
}

// A compressed data-parallel run stopped and resumed from its checkpoint continues bit for bit:
// residuals (EF) and g_i, g (EF21) are saved with the model and optimizer.
TEST(DataParallel, ResumedCompressedRunGivesTheSameNumbers) {
  for (const std::string feedback : {"ef", "ef21"}) {
    SCOPED_TRACE(feedback);
    auto config = small_study("adam", 0.01);
    config.comm.workers = 3;
    config.comm.compressor.name = feedback == "ef" ? "sign" : "randk";
    config.comm.compressor.ratio = 0.1;
    config.comm.feedback = comm::parse_feedback(feedback);
    const data::Splits splits = data::load_splits(config.data);
    const RunResult straight = train(run_of(config, 4), splits);
    const auto [first, resumed, checkpoint_kept] = stop_and_resume(run_of(config, 4), splits, 6, 15);
    EXPECT_EQ(first.end, RunEnd::stopped);
    EXPECT_EQ(result_rows(resumed), result_rows(straight));
    EXPECT_EQ(resumed.summary.at("comm_bytes_per_worker"), straight.summary.at("comm_bytes_per_worker"));
  }
}

study::StudyConfig transformer_study(const std::string& extra) {
  return study::parse_study_config(
      "[study]\nname = \"tf\"\n[data]\ndataset = \"text\"\ncontext = 16\n[model]\nkind = \"transformer\"\nwidth = 16\n"
      "heads = 2\nlayers = 2\n" + extra + "\n[train]\nepochs = 1\nbatch_size = 16\nmax_steps = 40\nlog_every = 10\n"
      "[[optimizers]]\nname = \"adamw\"\nlr = 0.01\n",
      "tf.toml");
}

// The character transformer trains on Debian's common-licenses text and logs its probes: the
// largest attention logit per layer and the output logits' mean log Z.
TEST(Transformer, TrainsAndRecordsAttentionAndLogitProbes) {
  const auto config = transformer_study("");
  const data::Splits splits = data::load_splits(config.data);
  const RunResult result = train(run_of(config, 0), splits);
  EXPECT_EQ(result.end, RunEnd::finished);
  const auto metrics = series(result);
  ASSERT_EQ(metrics.at("max_attention_logit/layer0").size(), 4u);
  ASSERT_EQ(metrics.at("max_attention_logit/layer1").size(), 4u);
  EXPECT_GT(metrics.at("output_log_z").front(), 0.0);
  EXPECT_LT(metrics.at("train_loss").back(), metrics.at("train_loss").front());
  EXPECT_LT(metrics.at("train_loss").front(), std::log(static_cast<double>(splits.train.num_classes)) + 0.5);
  const double accuracy = result.summary.at("final_test_accuracy");  // per predicted character
  EXPECT_GT(accuracy, 1.0 / static_cast<double>(splits.train.num_classes));
  EXPECT_LT(accuracy, 1.0);
  // qk-layernorm adds a layer norm on queries and keys in each layer; the z-loss changes the loss.
  auto with_norm = models::make_model(transformer_study("qk_layernorm = true").model, splits.train.sample_shape, splits.train.num_classes);
  auto without = models::make_model(config.model, splits.train.sample_shape, splits.train.num_classes);
  EXPECT_EQ(with_norm->parameters().size(), without->parameters().size() + 2 * 2 * 2);
  auto z_config = config;
  z_config.train.z_loss = 1e-2;
  const RunResult z = train(run_of(z_config, 0), splits);
  EXPECT_NE(series(z).at("train_loss").front(), metrics.at("train_loss").front());
}

// The per-example loss probe: the tracked mean loss at step 1 and every N steps, equal to the
// mean of the first N training samples' losses; with a zero threshold every rise is a spike.
TEST(Trainer, ExampleLossProbeTracksAndNamesSpikes) {
  auto config = small_study("sgd", 2.0);  // a large step: the loss jumps about
  config.diagnostics.example_losses_every = 2;
  config.diagnostics.example_losses_samples = 50;
  config.diagnostics.spike_threshold = 0.0;
  config.diagnostics.spike_top = 5;
  const RunResult result = train(run_of(config, 1), data::load_splits(config.data));
  std::vector<std::int64_t> steps;
  int spikes = 0;
  for (const auto& row : result.metrics) {
    if (row.name == "tracked_loss") steps.push_back(row.step);
    if (row.name == "loss_spike") {
      ++spikes;
      EXPECT_GT(row.value, 0.0);
    }
    if (row.name.rfind("spike_example/", 0) == 0) EXPECT_LT(row.value, 50.0);
  }
  ASSERT_GE(steps.size(), 10u);
  EXPECT_EQ(steps[0], 1);
  EXPECT_EQ(steps[1], 2);
  EXPECT_EQ(steps[2], 4);
  EXPECT_GT(spikes, 0);
}

TEST(Trainer, SharpnessProbeRecordsWithinItsBudget) {
  auto config = small_study("sgd", 0.1);
  config.diagnostics.sharpness_every = 8;
  config.diagnostics.hessian_samples = 100;
  config.diagnostics.lanczos_iterations = 12;
  config.diagnostics.trace_samples = 4;
  const RunResult probed = train(run_of(config, 0), data::load_splits(config.data));
  int sharpness = 0;
  for (const auto& row : probed.metrics) {
    if (row.name == "sharpness") {
      ++sharpness;
      EXPECT_GT(row.value, 0.0);
    }
    if (row.name == "hvp_count") EXPECT_LE(row.value, 12 + 4);
    if (row.name == "hessian_trace_se") EXPECT_GE(row.value, 0.0);
    if (row.name == "stability_threshold") EXPECT_DOUBLE_EQ(row.value, 2.0 / 0.1);
  }
  EXPECT_EQ(sharpness, 32 / 8);
  // Measuring changes nothing about training.
  config.diagnostics.sharpness_every = 0;
  const RunResult plain = train(run_of(config, 0), data::load_splits(config.data));
  EXPECT_EQ(plain.summary.at("final_test_loss"), probed.summary.at("final_test_loss"));
}

TEST(Trainer, GradientStatisticsAndLayerNormsAreRecorded) {
  auto config = small_study("sgd", 0.1);
  config.diagnostics.gradient_stats_every = 4;
  config.diagnostics.gradient_samples = 16;
  config.diagnostics.layer_norms = true;
  const RunResult result = train(run_of(config, 0), data::load_splits(config.data));
  std::map<std::string, int> counts;
  for (const auto& row : result.metrics) {
    counts[row.name] += 1;
    if (row.name == "coherence") {
      EXPECT_GT(row.value, 0.0);
      EXPECT_LE(row.value, 1.0 + 1e-12);
    }
    if (row.name == "noise_scale") EXPECT_GT(row.value, 0.0);
  }
  EXPECT_EQ(counts["noise_scale"], 32 / 4);
  EXPECT_EQ(counts["grad_norm/fc1.weight"], 32 / 5);
  EXPECT_EQ(counts["update_ratio/fc2.bias"], 32 / 5);
}

}  // namespace
}  // namespace descent::train
