// Schedule refinement (Defazio et al.): the specs' vectors, scipy's median filter semantics and
// the whole pipeline against numpy/scipy (tests/golden/make_refine_goldens.py).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "descent/optim/description.hpp"
#include "descent/schedule/refine.hpp"

namespace descent::schedule {
namespace {

void expect_near(const std::vector<double>& got, const std::vector<double>& expected, double tolerance) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tolerance) << "index " << i;
}

TEST(Refine, SpecVectors) {
  const std::vector<double> norms = {10, 5, 3, 2, 1.5, 1.2, 1, 1, 1, 1};
  expect_near(closed_form_schedule(norms, NormKind::l2),
              {0.018467, 0.073333, 0.199588, 0.428241, 0.695473, 0.925926, 1.0, 0.666667, 0.333333, 0.0}, 1e-6);
  expect_near(closed_form_schedule(norms, NormKind::l1), {0.196, 0.38, 0.6, 0.825, 0.966667, 1.0, 0.9, 0.6, 0.3, 0.0}, 1e-6);
  expect_near(closed_form_schedule({2, 2, 2, 2, 2}, NormKind::l2), {1, 0.75, 0.5, 0.25, 0}, 1e-15);
}

TEST(Refine, ConstantNormsGiveExactlyLinearDecay) {
  const auto values = refine(std::vector<double>(777, 3.0), {NormKind::l2, true, 1000});
  for (std::size_t t = 0; t < values.size(); ++t) EXPECT_NEAR(values[t], 1.0 - static_cast<double>(t) / 999.0, 1e-12);
}

const nlohmann::json& goldens() {
  static const nlohmann::json golden = [] {
    std::ifstream in(DESCENT_GOLDEN_DIR "/refine.json");
    return nlohmann::json::parse(in);
  }();
  return golden;
}

TEST(Refine, MedianFilterMatchesScipy) {
  int cases = 0;
  for (const auto& c : goldens().at("median_filter")) {
    const auto mode = c.at("mode") == "nearest" ? FilterMode::nearest : FilterMode::reflect;
    EXPECT_EQ(median_filter(c.at("x").get<std::vector<double>>(), c.at("size").get<int>(), mode), c.at("out").get<std::vector<double>>())
        << c.dump();
    ++cases;
  }
  EXPECT_EQ(cases, 32);
  for (const auto& c : goldens().at("pad_reflect")) {
    EXPECT_EQ(pad_end_reflect(c.at("x").get<std::vector<double>>(), c.at("count").get<std::size_t>()), c.at("out").get<std::vector<double>>());
  }
}

TEST(Refine, WholePipelineMatchesNumpyAndScipy) {
  const auto& refined = goldens().at("refine_every_100th");
  const auto trace = refined.at("trace").get<std::vector<double>>();
  for (const auto& [key, kind] : {std::pair{"l2", NormKind::l2}, std::pair{"l1", NormKind::l1}}) {
    const auto values = refine(trace, {kind, true, 10000});
    std::vector<double> every_100th;
    for (std::size_t i = 0; i < values.size(); i += 100) every_100th.push_back(values[i]);
    expect_near(every_100th, refined.at(key).get<std::vector<double>>(), 1e-12);
  }
}

TEST(Refine, NormChoiceFollowsTheOptimizersDescription) {
  EXPECT_EQ(norm_for(optim::describe("adam").adaptive), NormKind::l1);
  EXPECT_EQ(norm_for(optim::describe("lamb").adaptive), NormKind::l1);
  EXPECT_EQ(norm_for(optim::describe("sgd").adaptive), NormKind::l2);
  EXPECT_EQ(norm_for(optim::describe("lion").adaptive), NormKind::l2);
}

}  // namespace
}  // namespace descent::schedule
