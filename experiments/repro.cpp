#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/report/page.hpp"
#include "descent/report/series.hpp"
#include "descent/store/store.hpp"
#include "descent/study/study_runner.hpp"
#include "study_tools.hpp"

namespace descent::repro {

Experiment linear_decay_experiment();
Experiment adadagrad_experiment();
Experiment ghost_bn_experiment();
Experiment diffgrad_functions_experiment();
Experiment lion_k_box_experiment();
Experiment logistic_large_steps_experiment();
Experiment optimistic_omd_experiment();
Experiment subgm_experiment();
Experiment sso_experiment();
Experiment gbnn_experiment();
Experiment edge_of_stability_experiment();
Experiment lr_vs_batch_experiment();
Experiment opposing_signals_experiment();
Experiment ef21_experiment();
Experiment small_scale_proxies_experiment();
Experiment coherence_experiment();

const std::vector<Experiment>& experiments() {
  static const std::vector<Experiment> all = {linear_decay_experiment(),       adadagrad_experiment(), ghost_bn_experiment(),
                                             diffgrad_functions_experiment(), lion_k_box_experiment(),
                                             logistic_large_steps_experiment(), optimistic_omd_experiment(),
                                             subgm_experiment(),              sso_experiment(),
                                             gbnn_experiment(),               edge_of_stability_experiment(),
                                             lr_vs_batch_experiment(),        opposing_signals_experiment(),
                                             ef21_experiment(),               small_scale_proxies_experiment(),
                                             coherence_experiment()};
  return all;
}

std::string run(const study::StudyConfig& config, const Context& context) {
  study::StudyConfig copy = config;
  copy.train.threads = context.threads;
  const auto outcome = study::run_study(copy, {context.store, context.report_dir, context.progress});
  if (outcome.failed > 0) throw Error(ExitCode::runtime_failure, fmt::format("study {}: {} runs failed", config.name, outcome.failed));
  fmt::print(stderr, "  study {}: ran {}, reused {} stored runs; report {}\n", config.name, outcome.ran, outcome.skipped,
             outcome.report.html.string());
  return config.name;
}

std::map<std::string, EntrySummary> medians(const Context& context, const std::string& study, const std::string& summary_key) {
  store::Store store(context.store);
  const auto record = store.find_study(study);
  if (!record) throw Error(ExitCode::runtime_failure, "no study " + study);
  std::map<std::string, EntrySummary> out;
  for (const auto& run : store.runs(record->id)) {
    if (run.status != store::RunStatus::finished) continue;
    const auto summary = store.summary(run.id);
    auto& entry = out[run.label];
    entry.label = run.label;
    if (auto it = summary.find(summary_key); it != summary.end()) entry.values.push_back(it->second);
  }
  for (auto& [label, entry] : out) entry.median = report::quantile(entry.values, 0.5);
  return out;
}

std::int64_t run_id(const Context& context, const std::string& study, const std::string& label, std::uint64_t seed) {
  store::Store store(context.store);
  const auto record = store.find_study(study);
  if (record) {
    for (const auto& run : store.runs(record->id)) {
      if (run.label == label && run.seed == seed && run.status == store::RunStatus::finished) return run.id;
    }
  }
  throw Error(ExitCode::runtime_failure, fmt::format("study {} has no finished run {} seed {}", study, label, seed));
}

std::map<std::uint64_t, std::vector<MetricRow>> metrics_by_seed(const Context& context, const std::string& study,
                                                               const std::string& label) {
  store::Store store(context.store);
  std::map<std::uint64_t, std::vector<MetricRow>> out;
  if (const auto record = store.find_study(study)) {
    for (const auto& run : store.runs(record->id)) {
      if (run.label == label && run.status == store::RunStatus::finished) out[run.seed] = store.metrics(run.id);
    }
  }
  return out;
}

std::map<std::uint64_t, double> summary_by_seed(const Context& context, const std::string& study, const std::string& key) {
  store::Store store(context.store);
  std::map<std::uint64_t, double> out;
  if (const auto record = store.find_study(study)) {
    for (const auto& run : store.runs(record->id)) {
      if (run.status != store::RunStatus::finished) continue;
      const auto summary = store.summary(run.id);
      if (auto it = summary.find(key); it != summary.end()) out[run.seed] = it->second;
    }
  }
  return out;
}

std::string format_percent(double fraction) { return fmt::format("{:.2f}%", 100.0 * fraction); }

bool run_experiment(const Experiment& experiment, const Context& context) {
  fmt::print("# descent repro {}\n\nPaper: {}\nClaim: {}\nPass thresholds (fixed before running): {}\nExpected time here: {}\n\n",
             experiment.name, experiment.paper, experiment.claim, experiment.thresholds, experiment.cost);
  std::fflush(stdout);
  const Outcome outcome = experiment.run(context);
  bool all = true;
  std::string md = fmt::format("# descent repro {}\n\n- Paper: {}\n- Claim: {}\n- Pass thresholds (fixed before running): {}\n\n",
                               experiment.name, experiment.paper, experiment.claim, experiment.thresholds);
  md += "| check | measured | verdict |\n|---|---|---|\n";
  fmt::print("Measured:\n");
  for (const auto& check : outcome.checks) {
    all = all && check.pass;
    fmt::print("  {}: {} -> {}\n", check.name, check.measured, check.pass ? "PASS" : "FAIL");
    md += fmt::format("| {} | {} | {} |\n", check.name, check.measured, check.pass ? "PASS" : "FAIL");
  }
  md += "\n" + outcome.details_markdown;
  md += fmt::format("\nWritten {} by descent, store `{}`.\n", env::utc_now(), context.store.string());
  const auto dir = context.report_dir / ("repro-" + experiment.name);
  const auto path = dir / "report.md";
  env::write_file_atomically(path, md);
  if (!outcome.charts.empty()) {
    std::string body = fmt::format("<h1>descent repro {}</h1><pre>{}</pre><div class=\"charts\">", text::html_escape(experiment.name),
                                   text::html_escape(md));
    for (const auto& chart : outcome.charts) body += report::render_svg(chart);
    const std::string html = report::html_page("descent repro " + experiment.name, body + "</div>");
    env::write_file_atomically(dir / "report.html", html);
  }
  fmt::print("\n{}: {}\nreport: {}\n", experiment.name, all ? "PASS" : "FAIL", path.string());
  return all;
}

}  // namespace descent::repro
