// [train] tensorboard = DIR: each run writes TensorBoard events while it trains, in
// DIR/STUDY/LABEL-seedN/ (the names `descent export tensorboard` uses): the training loss and the
// learning rate every step, the evaluations at each epoch's end.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "descent/report/tensorboard.hpp"
#include "descent/train/callbacks.hpp"

namespace descent::study {

class TensorBoardCallback : public train::Callback {
public:
  explicit TensorBoardCallback(std::filesystem::path run_dir) : run_dir_(std::move(run_dir)) {}
  void on_begin(const train::RunInfo&) override;
  bool on_step_end(const train::StepEvent& event) override;
  bool on_epoch_end(const train::EpochEvent& event) override;
  void on_end(const train::EndEvent&) override;

private:
  std::filesystem::path run_dir_;
  std::unique_ptr<report::EventWriter> writer_;
};

}  // namespace descent::study
