// Progress of a run on stderr: a redrawn bar (percent, rate, ETA, loss, lr) on a terminal, plain
// lines every few seconds otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdio>

#include "descent/train/callbacks.hpp"

namespace descent::train {

class ProgressBar : public Callback {
public:
  // `prefix` leads every line, e.g. "[3/6] adam seed 1".
  explicit ProgressBar(std::string prefix, std::FILE* stream = stderr);

  void on_begin(const RunInfo& info) override;
  bool on_step_end(const StepEvent& event) override;
  bool on_epoch_end(const EpochEvent& event) override;
  void on_end(const EndEvent& event) override;

private:
  void draw(const StepEvent& event, bool final_line);

  std::string prefix_;
  std::FILE* stream_;
  bool terminal_;
  RunInfo info_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  StepEvent last_event_;
  double smoothed_loss_ = 0.0;
};

}  // namespace descent::train
