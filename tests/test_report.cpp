// Aggregation over seeds and report rendering.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/report/report.hpp"
#include "descent/report/series.hpp"
#include "descent/report/svg_chart.hpp"
#include "helpers.hpp"

namespace descent::report {
namespace {

TEST(Quantile, MatchesNumpyLinearInterpolation) {
  // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.75]) == [1.75, 2.5, 3.25]
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.75), 3.25);
  EXPECT_DOUBLE_EQ(quantile({7}, 0.25), 7.0);
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
}

TEST(RankCorrelation, MatchesScipySpearmanWithTies) {
  // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).correlation == 0.8207826816681233
  // (ranks of the second: 1, 2, 3.5, 5, 3.5; 8 / sqrt(10 * 9.5)).
  const std::vector<double> a = {1, 2, 3, 4, 5}, b = {5, 6, 7, 8, 7};
  EXPECT_NEAR(rank_correlation(a, b), 0.8207826816681233, 1e-15);
  const std::vector<double> reversed = {9, 7, 4, 2, 1};
  EXPECT_DOUBLE_EQ(rank_correlation(a, reversed), -1.0);
  const std::vector<double> constant = {3, 3, 3, 3, 3}, short_one = {1};
  EXPECT_TRUE(std::isnan(rank_correlation(a, constant)));
  EXPECT_TRUE(std::isnan(rank_correlation(short_one, short_one)));
}

// The median of {0.2, inf, inf} is inf. Interpolating between equal infinities gave NaN (the
// "median -nan%" of a repro report whose runs did not reach their target).
TEST(Quantile, InfiniteValuesStayInfinite) {
  EXPECT_EQ(quantile({0.2, INFINITY, INFINITY}, 0.5), INFINITY);
  EXPECT_EQ(quantile({0.2, INFINITY, INFINITY, INFINITY}, 0.5), INFINITY);
  EXPECT_EQ(quantile({-INFINITY, -INFINITY, 1.0}, 0.25), -INFINITY);
}

TEST(Aggregate, BandsPerStepOverRuns) {
  const std::vector<std::vector<MetricRow>> runs = {
      {{10, "loss", 1.0}, {20, "loss", 0.5}, {20, "lr", 1.0}},
      {{10, "loss", 3.0}, {20, "loss", 0.7}},
      {{10, "loss", 2.0}},
  };
  const BandSeries band = aggregate(runs, "loss");
  EXPECT_EQ(band.steps, (std::vector<double>{10, 20}));
  EXPECT_DOUBLE_EQ(band.median[0], 2.0);
  EXPECT_DOUBLE_EQ(band.q1[0], 1.5);
  EXPECT_DOUBLE_EQ(band.q3[0], 2.5);
  EXPECT_DOUBLE_EQ(band.median[1], 0.6);
  EXPECT_EQ(band.count, (std::vector<int>{3, 2}));
}

TEST(SvgChart, DrawsLinesBandsAndLegend) {
  ChartSpec spec{"Loss <train>", "step", "loss", true, {}};
  spec.lines.push_back({"adam", "#123456", {{1, 2, 3}, {1.0, 0.1, 0.01}, {0.5, 0.05, 0.005}, {2, 0.2, 0.02}, {2, 2, 2}}});
  const std::string svg = render_svg(spec);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("<polygon"), std::string::npos);
  EXPECT_NE(svg.find("Loss &lt;train&gt;"), std::string::npos);
  EXPECT_NE(svg.find(">adam<"), std::string::npos);
  EXPECT_NE(svg.find(">0.01<"), std::string::npos);  // log axis ticks at decades
  EXPECT_NE(render_svg({"empty", "step", "y", false, {}}).find("no data"), std::string::npos);
}

StudyData sample_study() {
  StudyData data;
  data.study = {1, "demo", R"({"optimizers":[{"label":"sgd"}]})", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"};
  data.labels = {"sgd"};
  data.metrics_by_label["sgd"] = {{{10, "train_loss", 1.0}, {10, "test_accuracy", 0.8}}, {{10, "train_loss", 2.0}, {10, "test_accuracy", 0.9}}};
  LabelSummary row;
  row.label = "sgd";
  row.runs = 2;
  row.finished = 2;
  row.test_accuracy_median = 0.85;
  data.table = {row};
  data.store_path = "runs/x.db";
  return data;
}

TEST(HtmlReport, EmbedsDataTableProvenanceAndEscapesScripts) {
  StudyData data = sample_study();
  data.labels = {"a</script>b"};
  data.metrics_by_label["a</script>b"] = data.metrics_by_label["sgd"];
  const std::string html = render_html(data);
  EXPECT_NE(html.find("id=\"descent-data\""), std::string::npos);
  EXPECT_EQ(html.find("a</script>b"), std::string::npos);  // neither raw in HTML nor in the JSON
  EXPECT_NE(html.find("Provenance"), std::string::npos);
  EXPECT_NE(html.find("0.8500"), std::string::npos);
  EXPECT_NE(html.find("\"metric\":\"train_loss\""), std::string::npos);
  EXPECT_NE(html.find("descentStatus"), std::string::npos);
}

TEST(MarkdownReport, HasTheFinalTable) {
  const std::string md = render_markdown(sample_study());
  EXPECT_NE(md.find("# Study `demo`"), std::string::npos);
  EXPECT_NE(md.find("| sgd | 2 | 0.8500 [–, –]"), std::string::npos) << md;
}

}  // namespace
}  // namespace descent::report
