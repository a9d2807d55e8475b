// The experiment registry, one experiment's run and report, and the summary of a run of all.
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/report/page.hpp"
#include "descent/repro/experiment.hpp"

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
Experiment thresholdout_experiment();
Experiment bayesian_optimization_experiment();
Experiment dynamical_stability_experiment();
Experiment exadam_experiment();
Experiment icl_gd_step_experiment();
Experiment icl_one_step_optimal_experiment();
Experiment icl_newton_experiment();
Experiment attention_svm_experiment();
Experiment input_gradients_experiment();
Experiment normgrad_experiment();
Experiment tester_learner_experiment();
Experiment eps_ad_experiment();
Experiment ntk_experiment();
Experiment mup_experiment();
Experiment weight_matching_experiment();
Experiment xor_grokking_experiment();
Experiment wide_deep_optimality_experiment();
Experiment neural_ode_experiment();
Experiment particle_gibbs_experiment();
Experiment programmable_vi_experiment();
Experiment deep_ritz_experiment();
Experiment deep_conjugate_direction_experiment();
Experiment props_experiment();
Experiment die_shape_experiment();

const std::vector<Experiment>& experiments() {
  static const std::vector<Experiment> all = {
      linear_decay_experiment(),      adadagrad_experiment(),        ghost_bn_experiment(),
      diffgrad_functions_experiment(), lion_k_box_experiment(),       logistic_large_steps_experiment(),
      optimistic_omd_experiment(),    subgm_experiment(),            sso_experiment(),
      gbnn_experiment(),              edge_of_stability_experiment(), lr_vs_batch_experiment(),
      opposing_signals_experiment(),  ef21_experiment(),             small_scale_proxies_experiment(),
      coherence_experiment(),         thresholdout_experiment(),     bayesian_optimization_experiment(),
      dynamical_stability_experiment(), exadam_experiment(),      icl_gd_step_experiment(),
      icl_one_step_optimal_experiment(), icl_newton_experiment(),  attention_svm_experiment(),
      input_gradients_experiment(),   normgrad_experiment(),         tester_learner_experiment(),
      eps_ad_experiment(),            ntk_experiment(),              mup_experiment(),
      weight_matching_experiment(),   xor_grokking_experiment(),    wide_deep_optimality_experiment(),
      neural_ode_experiment(),        particle_gibbs_experiment(),
      programmable_vi_experiment(),   deep_ritz_experiment(),         deep_conjugate_direction_experiment(),
      props_experiment(),             die_shape_experiment()};
  return all;
}

void Outcome::record(const Criterion& criterion, std::string measured, bool pass) {
  checks.push_back({criterion.name, std::move(measured), pass});
}

bool Verdict::passed() const {
  return error.empty() && std::all_of(checks.begin(), checks.end(), [](const Check& check) { return check.pass; });
}

namespace {

const char* verdict_word(bool pass) { return pass ? "PASS" : "FAIL"; }

// A check that answers no declared criterion, or a criterion left unanswered, is a defect of the
// experiment: its printed thresholds would not be what it checked.
void require_one_check_per_criterion(const Experiment& experiment, const Outcome& outcome) {
  bool matches = outcome.checks.size() == experiment.criteria.size();
  for (std::size_t i = 0; matches && i < outcome.checks.size(); ++i) matches = outcome.checks[i].name == experiment.criteria[i].name;
  if (!matches) {
    throw Error(ExitCode::runtime_failure,
                fmt::format("experiment {} reported {} checks that do not answer its {} declared criteria in order", experiment.name,
                            outcome.checks.size(), experiment.criteria.size()));
  }
}

std::string criteria_text(const Experiment& experiment, const char* bullet) {
  std::string out;
  for (const auto& criterion : experiment.criteria) out += fmt::format("{}{}: {}\n", bullet, criterion.name, criterion.threshold);
  return out;
}

std::string report_markdown(const Experiment& experiment, const Context& context, const Outcome& outcome) {
  std::string md = fmt::format("# descent repro {}\n\n- Paper: {}\n- Claim: {}\n\nPass criteria (fixed before running):\n\n{}\n",
                               experiment.name, experiment.paper, experiment.claim, criteria_text(experiment, "- "));
  md += "| check | measured | verdict |\n|---|---|---|\n";
  for (const auto& check : outcome.checks) md += fmt::format("| {} | {} | {} |\n", check.name, check.measured, verdict_word(check.pass));
  md += "\n" + outcome.details_markdown;
  md += fmt::format("\nWritten {} by descent, store `{}`.\n", env::utc_now(), context.store.string());
  return md;
}

void write_report(const Experiment& experiment, const Context& context, const Outcome& outcome, const std::filesystem::path& dir) {
  const std::string md = report_markdown(experiment, context, outcome);
  env::write_file_atomically(dir / "report.md", md);
  std::string body = fmt::format("<h1>descent repro {}</h1><pre>{}</pre><div class=\"charts\">", text::html_escape(experiment.name),
                                 text::html_escape(md));
  for (const auto& chart : outcome.charts) body += report::render_svg(chart);
  env::write_file_atomically(dir / "report.html", report::html_page("descent repro " + experiment.name, body + "</div>"));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Verdict run_experiment(const Experiment& experiment, const Context& context) {
  fmt::print("# descent repro {}\n\nPaper: {}\nClaim: {}\nPass criteria (fixed before running):\n{}Expected time here: {}\n\n",
             experiment.name, experiment.paper, experiment.claim, criteria_text(experiment, "  - "), experiment.cost);
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  const Outcome outcome = experiment.run(context);
  require_one_check_per_criterion(experiment, outcome);
  Verdict verdict{experiment.name, outcome.checks, "", seconds_since(start), {}};
  fmt::print("Measured:\n");
  for (const auto& check : outcome.checks) fmt::print("  {}: {} -> {}\n", check.name, check.measured, verdict_word(check.pass));
  const auto dir = context.report_dir / ("repro-" + experiment.name);
  write_report(experiment, context, outcome, dir);
  verdict.report = dir / "report.md";
  fmt::print("\n{}: {}\nreport: {}\n", experiment.name, verdict_word(verdict.passed()), verdict.report.string());
  return verdict;
}

namespace {

nlohmann::json summary_json(const std::vector<Verdict>& verdicts) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& verdict : verdicts) {
    nlohmann::json checks = nlohmann::json::object();
    for (const auto& check : verdict.checks) checks[check.name] = verdict_word(check.pass);
    out[verdict.experiment] = {{"verdict", verdict.error.empty() ? verdict_word(verdict.passed()) : "ERROR"},
                               {"seconds", verdict.seconds},
                               {"checks", checks},
                               {"error", verdict.error}};
  }
  return out;
}

const Experiment& find_experiment(const std::string& name) {
  for (const auto& experiment : experiments()) {
    if (experiment.name == name) return experiment;
  }
  throw Error(ExitCode::runtime_failure, "no experiment " + name);
}

std::string summary_markdown(const std::vector<Verdict>& verdicts) {
  std::string md = "# descent repro: summary\n\n| experiment | paper | verdict | checks passed | time | report |\n|---|---|---|---|---|---|\n";
  for (const auto& verdict : verdicts) {
    const auto& experiment = find_experiment(verdict.experiment);
    const auto passed = std::count_if(verdict.checks.begin(), verdict.checks.end(), [](const Check& c) { return c.pass; });
    md += fmt::format("| {} | {} | {} | {} of {} | {:.0f} s | {} |\n", verdict.experiment, experiment.paper,
                      verdict.error.empty() ? verdict_word(verdict.passed()) : "ERROR: " + verdict.error, passed,
                      experiment.criteria.size(), verdict.seconds, verdict.report.string());
  }
  return md;
}

std::string summary_html(const std::vector<Verdict>& verdicts) {
  std::string body = "<h1>descent repro: summary</h1>";
  for (const auto& verdict : verdicts) {
    const auto& experiment = find_experiment(verdict.experiment);
    const std::string word = verdict.error.empty() ? verdict_word(verdict.passed()) : "ERROR";
    body += fmt::format("<h2><a href=\"../repro-{0}/report.html\">{0}</a>: {1} ({2:.0f} s)</h2><p>{3}</p><p>Claim: {4}</p>",
                        text::html_escape(verdict.experiment), word, verdict.seconds, text::html_escape(experiment.paper),
                        text::html_escape(experiment.claim));
    if (!verdict.error.empty()) body += fmt::format("<p>Stopped: {}</p>", text::html_escape(verdict.error));
    body += "<table><tr><th>check</th><th>threshold</th><th>measured</th><th>verdict</th></tr>";
    for (std::size_t i = 0; i < verdict.checks.size(); ++i) {
      const auto& check = verdict.checks[i];
      body += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", text::html_escape(check.name),
                          text::html_escape(experiment.criteria[i].threshold), text::html_escape(check.measured),
                          verdict_word(check.pass));
    }
    body += "</table>";
  }
  return report::html_page("descent repro: summary", body);
}

}  // namespace

std::vector<Verdict> run_all(Budget budget, const Context& context) {
  std::vector<Verdict> verdicts;
  for (const auto& experiment : experiments()) {
    if (budget == Budget::fast && experiment.budget != Budget::fast) continue;
    const auto start = std::chrono::steady_clock::now();
    try {
      verdicts.push_back(run_experiment(experiment, context));
    } catch (const std::exception& error) {
      fmt::print(stderr, "{}: stopped: {}\n", experiment.name, error.what());
      verdicts.push_back({experiment.name, {}, error.what(), seconds_since(start), {}});
    }
    fmt::print("\n");
  }
  const auto dir = context.report_dir / "repro-summary";
  env::write_file_atomically(dir / "summary.json", summary_json(verdicts).dump(1) + "\n");
  env::write_file_atomically(dir / "summary.md", summary_markdown(verdicts));
  env::write_file_atomically(dir / "index.html", summary_html(verdicts));
  fmt::print("summary: {}\n", (dir / "index.html").string());
  return verdicts;
}

}  // namespace descent::repro
