// The three visitors that options structs' describe() functions (core/fields.hpp) are read and
// written with: TomlFields (a study file's table), JsonWriter (the stored config: what a run key
// hashes) and JsonReader (a stored run's config, read back). Private to study/.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "descent/core/error.hpp"
#include "descent/core/fields.hpp"
#include "descent/schedule/schedule.hpp"
#include "descent/study/config.hpp"
#include "table_reader.hpp"

namespace descent::study {

template <class E>
std::string name_of(E value, const EnumNames<E>& names) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  throw std::logic_error("an enum value without a name");
}

template <class E>
E value_of(const std::string& name, const EnumNames<E>& names) {
  for (const auto& [e, n] : names) {
    if (name == n) return e;
  }
  throw Error(ExitCode::runtime_failure, "stored config: '" + name + "' is no longer a known value");
}

ScheduleConfig read_schedule_table(const toml::table& table, const std::string& prefix, const std::string& source);
nlohmann::json schedule_json(const ScheduleConfig& schedule);
ScheduleConfig schedule_from_json(const nlohmann::json& json);

constexpr std::int64_t kUnbounded = std::numeric_limits<std::int64_t>::max();

class TomlFields {
public:
  TomlFields(TableReader& reader, std::string source) : reader_(reader), source_(std::move(source)) {}

  void integer(const char* key, std::int64_t& value, std::int64_t min, std::int64_t max = kUnbounded, Field field = {}) {
    if (field.read) value = reader_.integer(key, value, min, max);
  }
  void integer(const char* key, std::uint64_t& value, std::int64_t min, std::int64_t max = kUnbounded, Field field = {}) {
    if (field.read) value = static_cast<std::uint64_t>(reader_.integer(key, static_cast<std::int64_t>(value), min, max));
  }
  void real(const char* key, double& value, double min, double max, bool min_exclusive = false, Field field = {}) {
    if (field.read) value = reader_.param({key, ParamKind::real, value, min, max, min_exclusive, "", {}});
  }
  void boolean(const char* key, bool& value, Field field = {}) {
    if (field.read) value = reader_.boolean(key, value);
  }
  void text(const char* key, std::string& value, const std::vector<std::string>& choices, Field field = {}) {
    if (field.read) value = reader_.string(key, value, choices);
  }
  template <class E>
  void choice(const char* key, E& value, const EnumNames<E>& names, Field field = {}) {
    if (field.read) value = reader_.choice(key, value, names);
  }
  void integers(const char* key, std::vector<std::int64_t>& values, std::int64_t min, bool allow_empty, Field field = {}) {
    if (field.read) values = reader_.integer_list(key, values, min, allow_empty);
  }
  void positives(const char* key, std::vector<double>& values, Field field = {}) {
    if (field.read && reader_.has(key)) values = reader_.positive_list(key);
  }
  void schedule(const char* key, ScheduleConfig& spec, Field field = {}) {
    if (!field.read) return;
    const toml::table* table = reader_.table(key);
    if (!table) reader_.fail(key, fmt::format("missing: a [{}] schedule table", reader_.key_path(key)));
    spec = read_schedule_table(*table, reader_.key_path(key), source_);
  }
  // An optional sub-table described by its own describe(): present in the file, present in value.
  template <class Section>
  void section(const char* key, std::optional<Section>& value, Field field = {}) {
    if (!field.read) return;
    const toml::table* table = reader_.table(key);
    if (!table) return;
    TableReader nested(*table, reader_.key_path(key), source_);
    TomlFields fields(nested, source_);
    value.emplace();
    describe(*value, fields);
    nested.reject_unknown();
  }

private:
  TableReader& reader_;
  std::string source_;
};

class JsonWriter {
public:
  explicit JsonWriter(nlohmann::json& out) : out_(out) {}

  template <class Integer>
  void integer(const char* key, const Integer& value, std::int64_t, std::int64_t = kUnbounded, Field field = {}) {
    put(key, value, field);
  }
  void real(const char* key, double value, double, double, bool = false, Field field = {}) { put(key, value, field); }
  void boolean(const char* key, bool value, Field field = {}) { put(key, value, field); }
  void text(const char* key, const std::string& value, const std::vector<std::string>&, Field field = {}) { put(key, value, field); }
  template <class E>
  void choice(const char* key, E value, const EnumNames<E>& names, Field field = {}) {
    put(key, name_of(value, names), field);
  }
  void integers(const char* key, const std::vector<std::int64_t>& values, std::int64_t, bool, Field field = {}) {
    put(key, values, field);
  }
  void positives(const char* key, const std::vector<double>& values, Field field = {}) { put(key, values, field); }
  void schedule(const char* key, const ScheduleConfig& spec, Field field = {}) {
    if (field.stored) out_[key] = schedule_json(spec);
  }
  // Absent sections are not stored: older run keys stay as they were.
  template <class Section>
  void section(const char* key, const std::optional<Section>& value, Field field = {}) {
    if (!value || !field.stored) return;
    nlohmann::json nested = nlohmann::json::object();
    JsonWriter fields(nested);
    Section copy = *value;  // describe() takes a mutable reference; the writer only reads it
    describe(copy, fields);
    out_[key] = nested;
  }

private:
  template <class T>
  void put(const char* key, const T& value, Field field) {
    if (field.stored) out_[key] = value;
  }
  nlohmann::json& out_;
};

// Reads what JsonWriter stored; a key it did not store keeps the struct's default.
class JsonReader {
public:
  explicit JsonReader(const nlohmann::json& in) : in_(in) {}

  template <class Integer>
  void integer(const char* key, Integer& value, std::int64_t, std::int64_t = kUnbounded, Field = {}) {
    get(key, value);
  }
  void real(const char* key, double& value, double, double, bool = false, Field = {}) { get(key, value); }
  void boolean(const char* key, bool& value, Field = {}) { get(key, value); }
  void text(const char* key, std::string& value, const std::vector<std::string>&, Field = {}) { get(key, value); }
  template <class E>
  void choice(const char* key, E& value, const EnumNames<E>& names, Field = {}) {
    if (in_.contains(key)) value = value_of(in_.at(key).get<std::string>(), names);
  }
  void integers(const char* key, std::vector<std::int64_t>& values, std::int64_t, bool, Field = {}) { get(key, values); }
  void positives(const char* key, std::vector<double>& values, Field = {}) { get(key, values); }
  void schedule(const char* key, ScheduleConfig& spec, Field = {}) {
    if (in_.contains(key)) spec = schedule_from_json(in_.at(key));
  }
  template <class Section>
  void section(const char* key, std::optional<Section>& value, Field = {}) {
    if (!in_.contains(key)) return;
    JsonReader fields(in_.at(key));
    value.emplace();
    describe(*value, fields);
  }

private:
  template <class T>
  void get(const char* key, T& value) {
    if (in_.contains(key)) value = in_.at(key).get<T>();
  }
  const nlohmann::json& in_;
};

}  // namespace descent::study
