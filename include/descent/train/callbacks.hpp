// Hooks into the training loop. Any hook may stop the run by returning false; the loop then ends
// with status `stopped` after the current step.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

namespace descent::train {

struct RunInfo {
  std::string label;
  std::uint64_t seed = 0;
  std::int64_t total_steps = 0;
  std::int64_t steps_per_epoch = 0;
  std::int64_t epochs = 0;
  std::int64_t parameters = 0;
};

struct StepEvent {
  std::int64_t step = 0;  // 1-based count of steps taken
  std::int64_t epoch = 0;  // 0-based
  double loss = 0.0;
  double learning_rate = 0.0;
};

struct EpochEvent {
  std::int64_t step = 0;
  std::int64_t epoch = 0;  // 0-based index of the epoch just finished
  double test_loss = 0.0;
  double test_accuracy = 0.0;  // NaN for regression
  std::map<std::string, double> evaluation;  // test_loss, test_accuracy, and val_* with a validation split
};

enum class RunEnd { finished, diverged, stopped };

struct EndEvent {
  RunEnd end = RunEnd::finished;
  std::int64_t steps = 0;
  double wall_seconds = 0.0;
};

class Callback {
public:
  virtual ~Callback() = default;
  virtual void on_begin(const RunInfo&) {}
  virtual bool on_step_end(const StepEvent&) { return true; }
  virtual bool on_epoch_end(const EpochEvent&) { return true; }
  virtual void on_end(const EndEvent&) {}
};

// Set from a signal handler (Ctrl-C, or SIGTERM from a batch scheduler); the loop checks it every
// step and stops cleanly.
std::atomic<bool>& interrupt_flag();
// The signal that set it (SIGINT when set otherwise), and the exit status that reports it: 128 + the
// signal, as shells do (130 for Ctrl-C, 143 for SIGTERM).
std::atomic<int>& interrupt_signal();
int interrupted_exit_code();

}  // namespace descent::train
