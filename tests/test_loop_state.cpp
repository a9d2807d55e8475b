// The loop state a checkpoint stores: written and read back exactly, and refused, naming the key,
// when a corrupt or foreign checkpoint would put the loop outside its data or its budget.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "descent/train/loop_state.hpp"

namespace descent::train {
namespace {

LoopState example_state() {
  LoopState state;
  state.step = 1234;
  state.samples = 157952;
  state.epoch = 2;
  state.position = 37952;
  state.next_evaluation = 160000;
  state.batch = 128;
  state.initial_loss = 2.3025850929940455;
  state.window = {.loss = 12.5, .bits = 3.0e6, .seconds = 0.9, .exchange_seconds = 0.1, .steps = 7};
  return state;
}

constexpr LoopBounds kBounds{.examples = 60000, .epochs = 3};

std::string refusal(const nlohmann::json& loop, const LoopBounds& bounds = kBounds) {
  MetricLog log;
  std::map<std::string, double> summary;
  try {
    parse_loop_state(loop.dump(), bounds, log, summary);
  } catch (const std::invalid_argument& error) {
    EXPECT_TRUE(log.rows.empty()) << "a refused state must leave the log as it was";
    return error.what();
  }
  return "accepted";
}

TEST(LoopState, RoundTripsExactly) {
  MetricLog log;
  log.add(10, "train_loss", 0.6931471805599453);
  log.add(20, "test_accuracy", 0.8765);
  const std::map<std::string, double> summary{{"best_test_accuracy", 0.8765}, {"samples", 157952}};
  const LoopState state = example_state();

  MetricLog read_log;
  std::map<std::string, double> read_summary;
  const LoopState read = parse_loop_state(loop_state_json(state, log, summary), kBounds, read_log, read_summary);
  EXPECT_EQ(read.step, state.step);
  EXPECT_EQ(read.samples, state.samples);
  EXPECT_EQ(read.epoch, state.epoch);
  EXPECT_EQ(read.position, state.position);
  EXPECT_EQ(read.next_evaluation, state.next_evaluation);
  EXPECT_EQ(read.batch, state.batch);
  EXPECT_EQ(read.initial_loss, state.initial_loss);  // bit for bit: the divergence test divides by it
  EXPECT_EQ(read.window.loss, state.window.loss);
  EXPECT_EQ(read.window.bits, state.window.bits);
  EXPECT_EQ(read.window.steps, state.window.steps);
  ASSERT_EQ(read_log.rows.size(), 2u);
  EXPECT_EQ(read_log.rows[1].name, "test_accuracy");
  EXPECT_EQ(read_log.rows[1].value, 0.8765);
  EXPECT_EQ(read_summary, summary);
}

TEST(LoopState, AnUnsetInitialLossStaysUnset) {
  LoopState state = example_state();
  state.initial_loss = NAN;
  MetricLog log;
  std::map<std::string, double> summary;
  EXPECT_TRUE(std::isnan(parse_loop_state(loop_state_json(state, log, summary), kBounds, log, summary).initial_loss));
}

TEST(LoopState, RefusesStatesOutsideTheRunNamingTheKey) {
  const nlohmann::json good = nlohmann::json::parse(loop_state_json(example_state(), MetricLog{}, {}));
  EXPECT_EQ(refusal(good), "accepted");
  auto with = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json loop = good;
    loop[key] = value;
    return refusal(loop);
  };
  using testing::HasSubstr;
  EXPECT_THAT(with("position", 60001), HasSubstr("'position' = 60001 is outside [0, 60000]"));
  EXPECT_THAT(with("epoch", 3), HasSubstr("'epoch' = 3 is outside [0, 2]"));
  EXPECT_THAT(with("step", -1), HasSubstr("'step' = -1"));
  EXPECT_THAT(with("samples", 18446744073709551615ull), HasSubstr("'samples'"));
  EXPECT_THAT(with("batch", 1.5), HasSubstr("'batch' is not an integer"));
  EXPECT_THAT(with("window_loss", "x"), HasSubstr("'window_loss' is not a number"));
  EXPECT_THAT(with("initial_loss", "nan"), HasSubstr("'initial_loss' is not a number"));
  EXPECT_THAT(with("metrics", nlohmann::json::array({{1, "loss"}})), HasSubstr("'metrics' row"));
  EXPECT_THAT(with("summary", nlohmann::json::array()), HasSubstr("'summary' is not a table"));
  nlohmann::json missing = good;
  missing.erase("next_evaluation");
  EXPECT_THAT(refusal(missing), HasSubstr("'next_evaluation' is missing"));
  MetricLog log;
  std::map<std::string, double> summary;
  EXPECT_THROW(parse_loop_state("{\"step\": 1", kBounds, log, summary), std::invalid_argument);
  EXPECT_THROW(parse_loop_state("", kBounds, log, summary), std::invalid_argument);
}

}  // namespace
}  // namespace descent::train
