// Study reports built from the run store alone: one self-contained HTML file (works offline; SVG
// charts drawn by descent, made interactive with the pinned uPlot when the build installed it) and
// a Markdown summary.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "descent/core/metrics.hpp"
#include "descent/store/store.hpp"

namespace descent::report {

// One row of the final table: one optimizer entry over its seeds.
struct LabelSummary {
  std::string label;
  int runs = 0;
  int finished = 0;
  int diverged = 0;
  int failed = 0;  // failed or still running
  double test_accuracy_median = NAN, test_accuracy_q1 = NAN, test_accuracy_q3 = NAN;
  double test_loss_median = NAN, test_loss_q1 = NAN, test_loss_q3 = NAN;
  double best_test_accuracy = NAN;
  double wall_time_median = NAN;
};

struct StudyData {
  store::StudyRecord study;
  std::vector<store::RunRecord> runs;
  std::vector<std::string> labels;  // in the order of the study's optimizer entries
  std::map<std::string, std::vector<std::vector<MetricRow>>> metrics_by_label;
  std::vector<LabelSummary> table;
  std::string store_path;
};

// Reads a study's runs, metrics and summaries. Throws Error (usage) when the study is unknown.
StudyData collect(store::Store& store, const std::string& study_name);

std::string render_html(const StudyData& data, const std::string& uplot_js = "", const std::string& uplot_css = "");
std::string render_markdown(const StudyData& data);

struct ReportPaths {
  std::filesystem::path html;
  std::filesystem::path markdown;
};

// Writes out_dir/STUDY/report.html and report.md atomically.
ReportPaths write_reports(const StudyData& data, const std::filesystem::path& out_dir);

// Where the build put uPlot (DESCENT_WEB_DIR overrides); nullopt when it is absent.
std::optional<std::filesystem::path> find_web_dir();

}  // namespace descent::report
