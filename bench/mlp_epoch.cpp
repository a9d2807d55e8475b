// Times one Fashion-MNIST training epoch of the quickstart MLP (784-256-10, batch 128) with
// descent's training loop. Prints one JSON line; bench/run.sh compares it with PyTorch.
//   mlp_epoch --optimizer adam --threads 1 [--data DIR] [--repeats 3]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>

#include "descent/data/splits.hpp"
#include "descent/core/env.hpp"
#include "descent/study/study_runner.hpp"
#include "descent/train/trainer.hpp"

namespace {

// Measures the training steps only: from the first step to the last, not the evaluation after.
class StepTimer : public descent::train::Callback {
public:
  void on_begin(const descent::train::RunInfo&) override { start_ = std::chrono::steady_clock::now(); }
  bool on_step_end(const descent::train::StepEvent& event) override {
    last_ = std::chrono::steady_clock::now();
    steps_ = event.step;
    return true;
  }
  double seconds() const { return std::chrono::duration<double>(last_ - start_).count(); }
  std::int64_t steps() const { return steps_; }

private:
  std::chrono::steady_clock::time_point start_, last_;
  std::int64_t steps_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string optimizer = "adam", data_dir = "/usr/share/datasets/fashion-mnist";
  int threads = 1, repeats = 3;
  CLI::App app{"time one Fashion-MNIST MLP epoch with descent"};
  app.add_option("--optimizer", optimizer)->check(CLI::IsMember({"sgd", "adam"}));
  app.add_option("--threads", threads)->check(CLI::Range(1, 64));
  app.add_option("--data", data_dir);
  app.add_option("--repeats", repeats)->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);
  descent::env::pin_blas_threads_to_one();

  const std::string lr = optimizer == "sgd" ? "lr = 0.05\nmomentum = 0.9" : "lr = 1e-3";
  const auto config = descent::study::parse_study_config(
      fmt::format("[study]\nname = \"bench\"\n[data]\ndir = \"{}\"\n[model]\nhidden = [256]\n[train]\nepochs = 1\n"
                  "batch_size = 128\nthreads = {}\n[[optimizers]]\nname = \"{}\"\n{}\n",
                  data_dir, threads, optimizer, lr),
      "bench");
  const auto splits = descent::data::load_splits(config.data);
  const descent::train::TrainingRun run = descent::study::training_run(config, 0, 0);
  for (int r = 0; r < repeats; ++r) {
    StepTimer timer;
    descent::train::Callback* callbacks[] = {&timer};
    const auto result = descent::train::train(run, splits, callbacks);
    const double samples = static_cast<double>(timer.steps()) * 128.0;
    fmt::print("{{\"impl\": \"descent\", \"optimizer\": \"{}\", \"threads\": {}, \"samples_per_s\": {:.1f}, "
               "\"test_accuracy\": {:.4f}}}\n",
               optimizer, threads, samples / timer.seconds(), result.summary.at("final_test_accuracy"));
  }
  return 0;
}
