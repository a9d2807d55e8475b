#include "tensorboard_callback.hpp"

#include <cmath>

namespace descent::study {

void TensorBoardCallback::on_begin(const train::RunInfo&) {
  writer_ = std::make_unique<report::EventWriter>(run_dir_, report::wall_clock_seconds());
}

bool TensorBoardCallback::on_step_end(const train::StepEvent& event) {
  const double now = report::wall_clock_seconds();
  if (std::isfinite(event.loss)) writer_->add_scalar("train_loss", event.step, event.loss, now);
  writer_->add_scalar("lr", event.step, event.learning_rate, now);
  return true;
}

bool TensorBoardCallback::on_epoch_end(const train::EpochEvent& event) {
  const double now = report::wall_clock_seconds();
  for (const auto& [name, value] : event.evaluation) {
    if (std::isfinite(value)) writer_->add_scalar(name, event.step, value, now);
  }
  writer_->flush();  // what TensorBoard shows is at most one epoch behind
  return true;
}

void TensorBoardCallback::on_end(const train::EndEvent&) {
  if (writer_) writer_->flush();
}

}  // namespace descent::study
