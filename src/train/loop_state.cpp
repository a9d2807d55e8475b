#include "descent/train/loop_state.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace descent::train {
namespace {

using nlohmann::json;

const json& field(const json& loop, const char* key) {
  const auto it = loop.find(key);
  if (it == loop.end()) throw std::invalid_argument(fmt::format("loop state: '{}' is missing", key));
  return *it;
}

std::int64_t count(const json& loop, const char* key, std::int64_t low, std::int64_t high) {
  const json& value = field(loop, key);
  if (!value.is_number_integer()) throw std::invalid_argument(fmt::format("loop state: '{}' is not an integer", key));
  const std::int64_t n = value.get<std::int64_t>();
  // An unsigned JSON integer above INT64_MAX reads back negative; both ends are refused here.
  if (n < low || n > high || (value.is_number_unsigned() && n < 0)) {
    throw std::invalid_argument(fmt::format("loop state: '{}' = {} is outside [{}, {}]", key, n, low, high));
  }
  return n;
}

double finite(const json& value, const std::string& key) {
  if (!value.is_number()) throw std::invalid_argument(fmt::format("loop state: '{}' is not a number", key));
  const double x = value.get<double>();
  if (!std::isfinite(x)) throw std::invalid_argument(fmt::format("loop state: '{}' is not finite", key));
  return x;
}

void read_metrics(const json& rows, MetricLog& log) {
  if (!rows.is_array()) throw std::invalid_argument("loop state: 'metrics' is not a list");
  for (const json& row : rows) {
    if (!row.is_array() || row.size() != 3 || !row[0].is_number_integer() || row[0].get<std::int64_t>() < 0 ||
        !row[1].is_string()) {
      throw std::invalid_argument("loop state: a 'metrics' row is not [step, name, value]");
    }
    log.rows.push_back({row[0].get<std::int64_t>(), row[1].get<std::string>(), finite(row[2], "metrics")});
  }
}

std::map<std::string, double> read_summary(const json& object) {
  if (!object.is_object()) throw std::invalid_argument("loop state: 'summary' is not a table");
  std::map<std::string, double> summary;
  for (const auto& [name, value] : object.items()) summary[name] = finite(value, "summary." + name);
  return summary;
}

}  // namespace

std::string loop_state_json(const LoopState& state, const MetricLog& log, const std::map<std::string, double>& summary) {
  json rows = json::array();
  for (const auto& row : log.rows) rows.push_back({row.step, row.name, row.value});
  const json loop = {{"step", state.step},
                     {"samples", state.samples},
                     {"epoch", state.epoch},
                     {"position", state.position},
                     {"next_evaluation", state.next_evaluation},
                     {"window_steps", state.window.steps},
                     {"window_loss", state.window.loss},
                     {"window_bits", state.window.bits},
                     {"initial_loss", std::isfinite(state.initial_loss) ? json(state.initial_loss) : json()},
                     {"batch", state.batch},
                     {"metrics", rows},
                     {"summary", summary}};
  return loop.dump();
}

LoopState parse_loop_state(std::string_view text, const LoopBounds& bounds, MetricLog& log,
                           std::map<std::string, double>& summary) {
  const json loop = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!loop.is_object()) throw std::invalid_argument("loop state: not a JSON object");
  constexpr std::int64_t kMax = INT64_MAX;
  LoopState state;
  state.step = count(loop, "step", 0, kMax);
  state.samples = count(loop, "samples", 0, kMax);
  // The last epoch's end is a legal place to stop: epoch < epochs, position <= examples.
  state.epoch = count(loop, "epoch", 0, std::max<std::int64_t>(bounds.epochs - 1, 0));
  state.position = count(loop, "position", 0, bounds.examples);
  state.next_evaluation = count(loop, "next_evaluation", 0, kMax);
  state.window.steps = count(loop, "window_steps", 0, kMax);
  state.window.loss = finite(field(loop, "window_loss"), "window_loss");
  state.window.bits = loop.contains("window_bits") ? finite(loop.at("window_bits"), "window_bits") : 0.0;
  if (loop.contains("initial_loss") && !loop.at("initial_loss").is_null()) {
    state.initial_loss = finite(loop.at("initial_loss"), "initial_loss");
  }
  state.batch = count(loop, "batch", 0, kMax);
  MetricLog metrics;
  read_metrics(field(loop, "metrics"), metrics);
  summary = read_summary(field(loop, "summary"));
  log.rows.insert(log.rows.end(), metrics.rows.begin(), metrics.rows.end());
  return state;
}

}  // namespace descent::train
