#include "descent/train/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace descent::train {
namespace {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<long long>(seconds + 0.5);
  if (total >= 3600) return fmt::format("{}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60);
  return fmt::format("{:02}:{:02}", total / 60, total % 60);
}

}  // namespace

ProgressBar::ProgressBar(std::string prefix, std::FILE* stream)
    : prefix_(std::move(prefix)), stream_(stream), terminal_(isatty(fileno(stream)) != 0) {}

void ProgressBar::on_begin(const RunInfo& info) {
  info_ = info;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  smoothed_loss_ = NAN;
}

bool ProgressBar::on_step_end(const StepEvent& event) {
  last_event_ = event;
  // An exponential average makes the shown loss readable; a single batch's loss is noisy.
  smoothed_loss_ = std::isnan(smoothed_loss_) ? event.loss : 0.9 * smoothed_loss_ + 0.1 * event.loss;
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (since_draw >= (terminal_ ? 0.1 : 10.0)) {
    draw(event, false);
    last_draw_ = now;
  }
  return true;
}

bool ProgressBar::on_epoch_end(const EpochEvent& event) {
  if (terminal_) std::fputs("\r\033[K", stream_);
  const std::string accuracy = std::isnan(event.test_accuracy) ? "" : fmt::format(" test_acc {:.4f}", event.test_accuracy);
  fmt::print(stream_, "{} epoch {}/{}: test_loss {:.4f}{}\n", prefix_, event.epoch + 1, info_.epochs, event.test_loss,
             accuracy);
  return true;
}

void ProgressBar::on_end(const EndEvent& event) {
  draw(last_event_, true);
  const char* how = event.end == RunEnd::finished ? "done" : event.end == RunEnd::diverged ? "DIVERGED" : "stopped";
  fmt::print(stream_, "{} {} after {} steps in {}\n", prefix_, how, event.steps, format_duration(event.wall_seconds));
  std::fflush(stream_);
}

void ProgressBar::draw(const StepEvent& event, bool final_line) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double fraction = info_.total_steps > 0 ? static_cast<double>(event.step) / static_cast<double>(info_.total_steps) : 0.0;
  const double rate = elapsed > 0 ? static_cast<double>(event.step) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(info_.total_steps - event.step) / rate : NAN;
  const std::string stats = fmt::format("{}/{} [{}<{}, {:.1f} it/s] loss {:.4f} lr {:.3g}", event.step, info_.total_steps,
                                        format_duration(elapsed), format_duration(eta), rate, smoothed_loss_,
                                        event.learning_rate);
  if (terminal_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    fmt::print(stream_, "\r\033[K{} {:3.0f}%|{}{}| {}", prefix_, 100.0 * fraction, std::string(filled, '#'),
               std::string(kWidth - filled, ' '), stats);
    if (final_line) std::fputs("\r\033[K", stream_);
  } else if (!final_line) {
    fmt::print(stream_, "{} {:3.0f}% {}\n", prefix_, 100.0 * fraction, stats);
  }
  std::fflush(stream_);
}

}  // namespace descent::train
