#include "descent/report/tensorboard.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <ctime>

#include "descent/core/env.hpp"
#include "descent/core/error.hpp"

namespace descent::report {
namespace {

// Protocol-buffer wire format (https://protobuf.dev/programming-guides/encoding/).
enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_key(std::string& out, std::uint32_t field, WireType type) { put_varint(out, field << 3 | type); }

template <class T>
void put_little_endian(std::string& out, T value) {
  std::array<char, sizeof(T)> bytes;
  std::memcpy(bytes.data(), &value, sizeof(T));  // x86-64 is little-endian, as the wire format
  out.append(bytes.data(), bytes.size());
}

void put_bytes(std::string& out, std::uint32_t field, std::string_view bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out.append(bytes);
}

std::string event(double wall_time, std::int64_t step) {
  std::string out;
  put_key(out, 1, kFixed64);
  put_little_endian(out, wall_time);
  put_key(out, 2, kVarint);
  put_varint(out, static_cast<std::uint64_t>(step));
  return out;
}

// TFRecord's mask, so that a CRC of data holding CRCs stays well-distributed.
std::uint32_t masked(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

// "2026-11-29T22:00:00Z" (env::utc_now) as seconds since the epoch; 0 when it does not parse.
double epoch_seconds(const std::string& utc) {
  std::tm tm{};
  if (!strptime(utc.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0.0;
  return static_cast<double>(timegm(&tm));
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

std::uint32_t crc32c(std::string_view bytes) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0x82F63B78u ^ (c >> 1) : c >> 1;  // reflected Castagnoli polynomial
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const char byte : bytes) crc = table[(crc ^ static_cast<std::uint8_t>(byte)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

EventFile::EventFile(double wall_time) {
  std::string first = event(wall_time, 0);
  put_bytes(first, 3, "brain.Event:2");
  append_record(first);
}

void EventFile::add_scalar(const std::string& tag, std::int64_t step, double value, double wall_time) {
  std::string summary_value;
  put_bytes(summary_value, 1, tag);
  put_key(summary_value, 2, kFixed32);
  put_little_endian(summary_value, static_cast<float>(value));
  std::string summary;
  put_bytes(summary, 1, summary_value);
  std::string scalar = event(wall_time, step);
  put_bytes(scalar, 5, summary);
  append_record(scalar);
}

void EventFile::append_record(std::string_view record) {
  std::string length;
  put_little_endian(length, static_cast<std::uint64_t>(record.size()));
  bytes_ += length;
  put_little_endian(bytes_, masked(crc32c(length)));
  bytes_.append(record);
  put_little_endian(bytes_, masked(crc32c(record)));
}

EventWriter::EventWriter(const std::filesystem::path& dir, double wall_time)
    : path_(dir / fmt::format("events.out.tfevents.{}.{}.{}", static_cast<std::int64_t>(wall_time), env::hostname(), ::getpid())),
      events_(wall_time) {
  std::filesystem::create_directories(dir);
  out_.open(path_, std::ios::binary | std::ios::app);
  if (!out_) throw Error(ExitCode::runtime_failure, fmt::format("{}: cannot write TensorBoard events", path_.string()));
  flush();  // the file_version record: TensorBoard lists the run at once
}

void EventWriter::add_scalar(const std::string& tag, std::int64_t step, double value, double wall_time) {
  events_.add_scalar(tag, step, value, wall_time);
}

void EventWriter::flush() {
  const std::string records = events_.take();
  out_.write(records.data(), static_cast<std::streamsize>(records.size()));
  out_.flush();
  if (!out_) throw Error(ExitCode::runtime_failure, fmt::format("{}: cannot write TensorBoard events", path_.string()));
}

double wall_clock_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::filesystem::path> export_tensorboard(store::Store& store, const store::StudyRecord& study,
                                                      const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> written;
  for (const auto& run : store.runs(study.id)) {
    const double start = epoch_seconds(run.started_at);
    EventFile file(start);
    for (const auto& row : store.metrics(run.id)) file.add_scalar(row.name, row.step, row.value, start);
    const std::filesystem::path path = dir / fmt::format("{}-seed{}", run.label, run.seed) /
                                       fmt::format("events.out.tfevents.{}.descent", static_cast<std::int64_t>(start));
    std::filesystem::create_directories(path.parent_path());
    env::write_file_atomically(path, file.bytes());
    written.push_back(path);
  }
  return written;
}

std::string metrics_csv(store::Store& store, const store::StudyRecord& study) {
  std::string csv = "run,optimizer,seed,step,name,value\n";
  for (const auto& run : store.runs(study.id)) {
    for (const auto& row : store.metrics(run.id)) {
      csv += fmt::format("{},{},{},{},{},{:.17g}\n", run.id, csv_field(run.label), run.seed, row.step, csv_field(row.name), row.value);
    }
  }
  return csv;
}

}  // namespace descent::report
