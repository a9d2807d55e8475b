// Schedules: every kind against its formula, warmup, join, invariants, and the config forms.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/core/error.hpp"
#include "descent/schedule/schedule.hpp"
#include "descent/study/config.hpp"
#include "helpers.hpp"

namespace descent::schedule {
namespace {

Schedule make(const std::string& kind, ParamValues params, std::int64_t total) { return Schedule(kind, std::move(params), total); }

TEST(Schedule, FactorsFollowTheirFormulas) {
  EXPECT_DOUBLE_EQ(make("constant", {}, 100).factor(99), 1.0);
  const Schedule warm = make("constant", {{"warmup_steps", 4}}, 100);
  EXPECT_DOUBLE_EQ(warm.factor(0), 0.25);
  EXPECT_DOUBLE_EQ(warm.factor(3), 1.0);

  // The last step (10 of 0..10) reaches the final value.
  const Schedule linear = make("linear", {}, 11);
  EXPECT_DOUBLE_EQ(linear.factor(0), 1.0);
  EXPECT_DOUBLE_EQ(linear.factor(5), 0.5);
  EXPECT_DOUBLE_EQ(linear.factor(10), 0.0);

  const Schedule cosine = make("cosine", {{"final", 0.1}}, 11);
  EXPECT_NEAR(cosine.factor(5), 0.55, 1e-15);
  EXPECT_NEAR(cosine.factor(10), 0.1, 1e-15);
  // Two cycles: back to the top at the middle of the run.
  const Schedule restarts = make("cosine", {{"cycles", 2}}, 21);
  EXPECT_NEAR(restarts.factor(5), 0.5, 1e-15);
  EXPECT_NEAR(restarts.factor(10), 1.0, 1e-15);
  EXPECT_NEAR(restarts.factor(15), 0.5, 1e-15);

  const Schedule step = make("step", {{"step_size", 3}, {"gamma", 0.5}}, 10);
  EXPECT_DOUBLE_EQ(step.factor(2), 1.0);
  EXPECT_DOUBLE_EQ(step.factor(3), 0.5);
  EXPECT_DOUBLE_EQ(step.factor(9), 0.125);

  ScheduleSpec multistep = default_spec("multistep");
  multistep.milestones = {3, 7};
  multistep.params["gamma"] = 0.1;
  EXPECT_DOUBLE_EQ(Schedule(multistep, 10).factor(2), 1.0);
  EXPECT_NEAR(Schedule(multistep, 10).factor(3), 0.1, 1e-17);
  EXPECT_NEAR(Schedule(multistep, 10).factor(9), 0.01, 1e-17);

  EXPECT_NEAR(make("exponential", {{"gamma", 0.9}}, 10).factor(3), 0.729, 1e-15);
  EXPECT_NEAR(make("polynomial", {{"power", 2}}, 11).factor(5), 0.25, 1e-15);
}

TEST(Schedule, WarmupStableDecayCooldowns) {
  // 101 steps, last 20% (progress 0.8 .. 1) in cooldown.
  for (const auto& [shape, middle] : std::vector<std::pair<double, double>>{{0, 0.5}, {1, 0.5}, {2, 1 - std::sqrt(0.5)}}) {
    const Schedule wsd = make("wsd", {{"cooldown", shape}, {"decay_fraction", 0.2}}, 101);
    EXPECT_DOUBLE_EQ(wsd.factor(0), 1.0);
    EXPECT_DOUBLE_EQ(wsd.factor(80), 1.0);
    EXPECT_NEAR(wsd.factor(90), middle, 1e-12) << "cooldown " << shape;
    EXPECT_NEAR(wsd.factor(100), 0.0, 1e-12);
  }
}

TEST(Schedule, JoinRunsEachPartOnItsOwnSpan) {
  ScheduleSpec joined;
  joined.kind = "join";
  joined.boundaries = {10};
  joined.parts = {default_spec("constant"), default_spec("linear")};
  const Schedule schedule(joined, 21);
  EXPECT_DOUBLE_EQ(schedule.factor(9), 1.0);
  EXPECT_DOUBLE_EQ(schedule.factor(10), 1.0);  // the linear part starts at its own step 0
  EXPECT_DOUBLE_EQ(schedule.factor(15), 0.5);
  EXPECT_DOUBLE_EQ(schedule.factor(20), 0.0);
  joined.boundaries = {10, 5};
  joined.parts.push_back(default_spec("constant"));
  EXPECT_NE(check(joined, 21).find("boundaries must increase"), std::string::npos);
}

TEST(Schedule, RefinedValuesAreInterpolatedToTheRun) {
  ScheduleSpec refined = default_spec("refined");
  refined.values = {0.5, 1.0, 0.0};
  const Schedule schedule(refined, 5);  // grid points at steps 0, 2, 4
  EXPECT_DOUBLE_EQ(schedule.factor(0), 0.5);
  EXPECT_DOUBLE_EQ(schedule.factor(1), 0.75);
  EXPECT_DOUBLE_EQ(schedule.factor(2), 1.0);
  EXPECT_DOUBLE_EQ(schedule.factor(4), 0.0);
  refined.values = {1.0, -0.5};
  EXPECT_NE(check(refined, 5).find("non-negative"), std::string::npos);
}

TEST(Schedule, EveryKindIsFiniteAndNonNegative) {
  for (const auto& info : catalog()) {
    if (info.name == "join" || info.name == "refined") continue;  // covered above with parts and values
    const Schedule schedule(default_spec(info.name), 50);
    for (int t = 0; t < 80; ++t) {
      EXPECT_TRUE(std::isfinite(schedule.factor(t)));
      EXPECT_GE(schedule.factor(t), 0.0) << info.name << " at " << t;
    }
  }
}

const char* kStudyHead = "[study]\nname = \"s\"\n[[optimizers]]\nname = \"sgd\"\n";

TEST(ScheduleConfig, JoinMultistepAndRefinedFromTheStudyFile) {
  const auto join = study::parse_study_config(std::string(kStudyHead) +
                                                  "[schedule]\nkind = \"join\"\nboundaries = [100]\n"
                                                  "[[schedule.parts]]\nkind = \"constant\"\nwarmup_steps = 10\n"
                                                  "[[schedule.parts]]\nkind = \"wsd\"\ncooldown = \"1-sqrt\"\n",
                                              "s.toml");
  ASSERT_EQ(join.schedule.parts.size(), 2u);
  EXPECT_DOUBLE_EQ(join.schedule.parts[1].params.at("cooldown"), 2.0);

  const auto multistep = study::parse_study_config(std::string(kStudyHead) + "[schedule]\nkind = \"multistep\"\nmilestones = [5, 9]\n", "s.toml");
  EXPECT_EQ(multistep.schedule.milestones, (std::vector<std::int64_t>{5, 9}));

  testing::TempDir dir;
  testing::write_file(dir / "refined.json", R"({"values": [0.2, 1.0, 0.5, 0.0]})");
  const auto refined = study::parse_study_config(std::string(kStudyHead) + "[schedule]\nkind = \"refined\"\nfile = \"" +
                                                     (dir / "refined.json").string() + "\"\n",
                                                 "s.toml");
  EXPECT_EQ(refined.schedule.values, (std::vector<double>{0.2, 1.0, 0.5, 0.0}));
}

TEST(ScheduleConfig, ErrorsNameTheKey) {
  auto error_of = [](const std::string& schedule) {
    try {
      study::parse_study_config(std::string(kStudyHead) + schedule, "s.toml");
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("[schedule]\nkind = \"wsd\"\ncooldown = \"sqrt\"\n").find("key 'schedule.cooldown': 'sqrt' is not one of linear, cosine, 1-sqrt"), std::string::npos);
  EXPECT_NE(error_of("[schedule]\nkind = \"join\"\nboundaries = [10]\n[[schedule.parts]]\nkind = \"constant\"\n").find("join needs one more part than boundaries"), std::string::npos);
  EXPECT_NE(error_of("[schedule]\nkind = \"join\"\nboundaries = [10]\n[[schedule.parts]]\nkind = \"linear\"\nfinall = 0.1\n[[schedule.parts]]\nkind = \"constant\"\n")
                .find("unknown key 'schedule.parts[0].finall' for schedule kind 'linear' (did you mean 'schedule.parts[0].final'?)"),
            std::string::npos);
  EXPECT_NE(error_of("[schedule]\nkind = \"refined\"\nfile = \"/nonexistent.json\"\n").find("key 'schedule.file': cannot read '/nonexistent.json'"), std::string::npos);
  EXPECT_NE(error_of("[schedule]\nkind = \"multistep\"\nmilestones = [9, 5]\n").find("milestones must increase"), std::string::npos);
}

TEST(ScheduleConfig, HyperparameterSchedules) {
  const auto config = study::parse_study_config(
      "[study]\nname = \"s\"\n[[optimizers]]\nname = \"adamw\"\n[schedules.weight_decay]\nkind = \"linear\"\n"
      "[schedules.beta1]\nkind = \"constant\"\nwarmup_steps = 10\n",
      "s.toml");
  ASSERT_EQ(config.hyper_schedules.size(), 2u);
  EXPECT_EQ(config.hyper_schedules.at("weight_decay").kind, "linear");
  auto error_of = [](const std::string& text) {
    try {
      study::parse_study_config(text, "s.toml");
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("[study]\nname = \"s\"\n[[optimizers]]\nname = \"adamw\"\n[schedules.weight_decy]\nkind = \"linear\"\n")
                .find("key 'schedules.weight_decy': no optimizer entry of this study has a hyperparameter 'weight_decy' (did you mean 'weight_decay'?)"),
            std::string::npos);
  EXPECT_NE(error_of("[study]\nname = \"s\"\n[[optimizers]]\nname = \"adamw\"\n[schedules.lr]\nkind = \"linear\"\n").find("follows [schedule]"),
            std::string::npos);
}

}  // namespace
}  // namespace descent::schedule
