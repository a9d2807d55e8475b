// TensorBoard event files, written by descent itself (no TensorFlow, no protobuf library): each
// record is framed as TFRecord (length, masked CRC-32C of the length, the bytes, masked CRC-32C of
// the bytes) and holds an Event protobuf encoded here by hand, with the field numbers of
// tensorflow/core/util/event.proto and framework/summary.proto:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descent/store/store.hpp"

namespace descent::report {

// CRC-32C (Castagnoli), as TFRecord frames use it.
std::uint32_t crc32c(std::string_view bytes);

// One event file's contents, built in memory: the file_version record, then scalars.
class EventFile {
public:
  explicit EventFile(double wall_time);
  void add_scalar(const std::string& tag, std::int64_t step, double value, double wall_time);
  const std::string& bytes() const { return bytes_; }
  // The records added since the last call (for a file written as it grows).
  std::string take() { return std::exchange(bytes_, {}); }

private:
  void append_record(std::string_view event);
  std::string bytes_;
};

// An event file written while a run trains, so that TensorBoard shows it live: records are appended
// and flushed on flush(). A killed process leaves at most a cut last record, which TensorBoard
// skips. The file is DIR/events.out.tfevents.SECONDS.HOST.PID (unique per process).
class EventWriter {
public:
  EventWriter(const std::filesystem::path& dir, double wall_time);
  void add_scalar(const std::string& tag, std::int64_t step, double value, double wall_time);
  void flush();
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
  EventFile events_;
  std::ofstream out_;
};

// Seconds since the epoch, now (the wall_time of live events).
double wall_clock_seconds();

// Every run of the study as one TensorBoard run, DIR/LABEL-seedN/events.out.tfevents.T.descent,
// every metric a scalar tag (train_loss, test_accuracy, ...). The store keeps no time per step:
// every event carries the run's start time. Each file is written atomically; returns them.
std::vector<std::filesystem::path> export_tensorboard(store::Store& store, const store::StudyRecord& study,
                                                      const std::filesystem::path& dir);

// The study's metrics as tidy CSV: run,optimizer,seed,step,name,value (one row per value).
std::string metrics_csv(store::Store& store, const store::StudyRecord& study);

}  // namespace descent::report
