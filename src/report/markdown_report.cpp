#include <fmt/format.h>

#include <cmath>

#include "descent/report/report.hpp"

namespace descent::report {
namespace {

std::string number(double value, const char* format = "{:.4f}") {
  return std::isnan(value) ? "–" : fmt::format(fmt::runtime(format), value);
}

}  // namespace

std::string render_markdown(const StudyData& data) {
  std::string md = fmt::format("# Study `{}`\n\n", data.study.name);
  md += fmt::format("{} runs in `{}`; updated {}.\n\n", data.runs.size(), data.store_path, data.study.updated_at);
  md += "Median over seeds, with the interquartile range in brackets; test metrics at the end of training.\n\n";
  md += "| optimizer | runs | test accuracy | test loss | best accuracy | diverged | failed | wall time (s) |\n";
  md += "|---|---|---|---|---|---|---|---|\n";
  for (const auto& row : data.table) {
    md += fmt::format("| {} | {} | {} [{}, {}] | {} [{}, {}] | {} | {} | {} | {} |\n", row.label, row.runs,
                      number(row.test_accuracy_median), number(row.test_accuracy_q1), number(row.test_accuracy_q3),
                      number(row.test_loss_median), number(row.test_loss_q1), number(row.test_loss_q3),
                      number(row.best_test_accuracy), row.diverged, row.failed, number(row.wall_time_median, "{:.1f}"));
  }
  md += "\nThe HTML report beside this file has the curves and the full provenance.\n";
  return md;
}

}  // namespace descent::report
