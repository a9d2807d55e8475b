#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "descent/core/env.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/report/page.hpp"
#include "descent/report/report.hpp"
#include "descent/report/series.hpp"
#include "descent/report/svg_chart.hpp"

#include "descent/build_info.hpp"

namespace descent::report {
namespace {

struct ChartDef {
  const char* metric;
  const char* title;
  bool log_y;
};

constexpr ChartDef kCharts[] = {
    {"train_loss", "Training loss", true},      {"test_accuracy", "Test accuracy", false},
    {"test_loss", "Test loss", true},           {"val_accuracy", "Validation accuracy", false},
    {"lr", "Learning rate", false},        {"batch_size", "Batch size", false},
    {"sharpness", "Sharpness (top Hessian eigenvalue)", true},
    {"stability_threshold", "Stability threshold (2 + 2 momentum) / lr", true},
    {"hessian_trace", "Hessian trace (Hutchinson)", false},
    {"noise_scale", "Gradient noise scale B_simple", true},
    {"coherence", "Gradient coherence", true},
    {"preconditioned_sharpness", "Preconditioned sharpness (Adam-like)", true},
    {"preconditioned_stability_threshold", "Preconditioned threshold (2 + 2 beta1) / ((1 - beta1) lr)", true},
    {"trace_stability_threshold", "Trace threshold 2 / lr (SGD)", true},
    {"tracked_loss", "Tracked examples' mean loss", true},
    {"max_attention_logit", "Largest attention logit (all layers)", true},
    {"output_log_z", "Output logits' mean log Z", false},
    {"comm_bits_per_worker", "Bits sent per worker per step", true},
};

std::vector<double> summary_values(const std::vector<std::map<std::string, double>>& summaries, const std::string& key) {
  std::vector<double> values;
  for (const auto& summary : summaries) {
    if (auto it = summary.find(key); it != summary.end()) values.push_back(it->second);
  }
  return values;
}

LabelSummary summarize(const std::string& label, const std::vector<const store::RunRecord*>& runs,
                       const std::vector<std::map<std::string, double>>& finished_summaries) {
  LabelSummary row;
  row.label = label;
  row.runs = static_cast<int>(runs.size());
  for (const auto* run : runs) {
    if (run->status == store::RunStatus::finished) ++row.finished;
    else if (run->status == store::RunStatus::diverged) ++row.diverged;
    else ++row.failed;
  }
  const auto accuracy = summary_values(finished_summaries, "final_test_accuracy");
  const auto loss = summary_values(finished_summaries, "final_test_loss");
  const auto wall = summary_values(finished_summaries, "wall_time_s");
  row.test_accuracy_median = quantile(accuracy, 0.5);
  row.test_accuracy_q1 = quantile(accuracy, 0.25);
  row.test_accuracy_q3 = quantile(accuracy, 0.75);
  row.test_loss_median = quantile(loss, 0.5);
  row.test_loss_q1 = quantile(loss, 0.25);
  row.test_loss_q3 = quantile(loss, 0.75);
  if (!accuracy.empty()) row.best_test_accuracy = *std::max_element(accuracy.begin(), accuracy.end());
  row.wall_time_median = quantile(wall, 0.5);
  return row;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// JSON inside <script> must not contain "</": it would end the element early.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    out += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += "\\";
  }
  return out;
}

std::string cell(double value, const char* format = "{:.4f}") {
  return std::isnan(value) ? "–" : fmt::format(fmt::runtime(format), value);
}

std::string render_table(const StudyData& data) {
  std::string html =
      "<table><thead><tr><th>optimizer</th><th>runs</th><th>test accuracy<br><small>median [IQR]</small></th>"
      "<th>test loss<br><small>median [IQR]</small></th><th>best accuracy</th><th>diverged</th><th>failed</th>"
      "<th>wall time (s)<br><small>median</small></th></tr></thead><tbody>";
  for (const auto& row : data.table) {
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{} <small>[{}, {}]</small></td><td>{} <small>[{}, {}]</small></td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td></tr>",
        text::html_escape(row.label), row.runs, cell(row.test_accuracy_median), cell(row.test_accuracy_q1),
        cell(row.test_accuracy_q3), cell(row.test_loss_median), cell(row.test_loss_q1), cell(row.test_loss_q3),
        cell(row.best_test_accuracy), row.diverged, row.failed, cell(row.wall_time_median, "{:.1f}"));
  }
  return html + "</tbody></table>";
}

std::string render_runs(const StudyData& data) {
  std::string html = "<details><summary>Runs</summary><table><thead><tr><th>id</th><th>optimizer</th><th>seed</th>"
                     "<th>status</th><th>started</th><th>finished</th><th>host</th><th>revision</th></tr></thead><tbody>";
  for (const auto& run : data.runs) {
    std::string status = store::to_string(run.status);
    if (run.diverged_step) status += fmt::format(" at step {}", *run.diverged_step);
    if (!run.message.empty()) status += ": " + run.message;
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        run.id, text::html_escape(run.label), run.seed, text::html_escape(status), run.started_at,
                        run.finished_at, text::html_escape(run.host), text::html_escape(run.git_revision));
  }
  return html + "</tbody></table></details>";
}


// Draws each chart with uPlot when it was inlined; reports success or the first script error on
// <body data-descent-status>, which the report test reads in headless Chromium.
constexpr const char* kScript = R"js(
(function () {
  var body = document.body;
  window.addEventListener('error', function (e) {
    body.dataset.descentStatus = 'error';
    body.dataset.descentError = String(e.message);
  });
  var data = JSON.parse(document.getElementById('descent-data').textContent);
  var drawn = 0;
  if (typeof uPlot !== 'undefined') {
    body.classList.add('interactive');
    data.charts.forEach(function (chart) {
      if (!chart.lines.length) return;
      var tables = chart.lines.map(function (l) { return [l.steps, l.median, l.q1, l.q3]; });
      var aligned = uPlot.join(tables);
      var series = [{ label: 'step' }], bands = [];
      chart.lines.forEach(function (l, i) {
        var base = 1 + 3 * i;
        series.push({ label: l.label, stroke: l.color, width: 1.6 });
        series.push({ label: l.label + ' q1', stroke: l.color, width: 0, show: true, points: { show: false } });
        series.push({ label: l.label + ' q3', stroke: l.color, width: 0, show: true, points: { show: false } });
        bands.push({ series: [base + 2, base + 1], fill: l.color + '2e' });
      });
      var holder = document.getElementById('uplot-' + chart.metric);
      new uPlot({
        title: chart.title, width: 640, height: 320, series: series, bands: bands,
        scales: { x: { time: false }, y: chart.log ? { distr: 3 } : {} },
        axes: [{ label: 'step' }, { label: chart.metric }],
        legend: { live: true }
      }, aligned, holder);
      // The quartile series only shape the band: keep them out of the legend.
      holder.querySelectorAll('.u-legend .u-series').forEach(function (row, i) {
        if (i > 0 && (i - 1) % 3 !== 0) row.style.display = 'none';
      });
      drawn += 1;
    });
  }
  if (body.dataset.descentStatus !== 'error') {
    body.dataset.descentStatus = 'ok';
    body.dataset.descentCharts = String(drawn || data.charts.length);
    body.dataset.descentRenderer = drawn ? 'uplot' : 'svg';
  }
})();
)js";

}  // namespace

StudyData collect(store::Store& store, const std::string& study_name) {
  StudyData data;
  const auto study = store.find_study(study_name);
  if (!study) {
    std::vector<std::string> names;
    for (const auto& s : store.studies()) names.push_back(s.name);
    throw Error(ExitCode::usage_error, fmt::format("{}: no study named '{}'{}", store.path().string(), study_name,
                                                   text::did_you_mean(study_name, names)));
  }
  data.study = *study;
  data.store_path = store.path().string();
  data.runs = store.runs(study->id);

  // Labels in the order the study file lists them, then any that only older runs have.
  const auto config = nlohmann::json::parse(study->config_json);
  for (const auto& entry : config.at("optimizers")) data.labels.push_back(entry.at("label").get<std::string>());
  std::set<std::string> listed(data.labels.begin(), data.labels.end());
  std::map<std::string, std::vector<const store::RunRecord*>> runs_by_label;
  std::map<std::string, std::vector<std::map<std::string, double>>> summaries_by_label;
  for (const auto& run : data.runs) {
    if (!listed.count(run.label)) {
      data.labels.push_back(run.label);
      listed.insert(run.label);
    }
    runs_by_label[run.label].push_back(&run);
    if (run.status == store::RunStatus::finished || run.status == store::RunStatus::diverged) {
      data.metrics_by_label[run.label].push_back(store.metrics(run.id));
    }
    if (run.status == store::RunStatus::finished) summaries_by_label[run.label].push_back(store.summary(run.id));
  }
  for (const auto& label : data.labels) data.table.push_back(summarize(label, runs_by_label[label], summaries_by_label[label]));
  return data;
}

std::string render_html(const StudyData& data, const std::string& uplot_js, const std::string& uplot_css) {
  nlohmann::json charts = nlohmann::json::array();
  std::string figures;
  for (const auto& def : kCharts) {
    ChartSpec spec{def.title, "step", def.metric, def.log_y, {}};
    nlohmann::json lines = nlohmann::json::array();
    for (std::size_t i = 0; i < data.labels.size(); ++i) {
      const auto it = data.metrics_by_label.find(data.labels[i]);
      if (it == data.metrics_by_label.end()) continue;
      BandSeries band = aggregate(it->second, def.metric);
      if (band.steps.empty()) continue;
      lines.push_back({{"label", data.labels[i]}, {"color", series_color(i)}, {"steps", band.steps},
                       {"median", band.median}, {"q1", band.q1}, {"q3", band.q3}});
      spec.lines.push_back({data.labels[i], series_color(i), std::move(band)});
    }
    if (spec.lines.empty()) continue;
    charts.push_back({{"metric", def.metric}, {"title", def.title}, {"log", def.log_y}, {"lines", lines}});
    figures += fmt::format(R"(<figure><div class="svg-fallback">{}</div><div class="uplot-chart" id="uplot-{}"></div></figure>)",
                           render_svg(spec), def.metric);
  }
  const nlohmann::json payload = {{"study", data.study.name}, {"charts", charts}};

  std::string config_pretty = data.study.config_json;
  try {
    config_pretty = nlohmann::json::parse(data.study.config_json).dump(2);
  } catch (const nlohmann::json::exception&) {
  }
  std::set<std::string> revisions, hosts;
  for (const auto& run : data.runs) {
    revisions.insert(run.git_revision);
    hosts.insert(run.host);
  }
  const std::vector<std::string> revision_list(revisions.begin(), revisions.end()), host_list(hosts.begin(), hosts.end());

  std::string html = fmt::format("<h1>Study <code>{}</code></h1><p>{} runs; report written {} by descent {}.</p>",
                      text::html_escape(data.study.name), data.runs.size(), env::utc_now(), build_info::version);
  html += "<h2>Final results</h2><p>Median over seeds with the interquartile range; test metrics at the end of training.</p>";
  html += render_table(data);
  html += "<h2>Curves</h2><p>Lines are medians over seeds; shaded bands span the 25th to 75th percentile.</p>";
  html += "<div class=\"charts\">" + figures + "</div>";
  html += "<h2>Provenance</h2><table>";
  html += fmt::format("<tr><td>store</td><td>{}</td></tr>", text::html_escape(data.store_path));
  html += fmt::format("<tr><td>run git revisions</td><td>{}</td></tr>", text::html_escape(text::join(revision_list, ", ")));
  html += fmt::format("<tr><td>hosts</td><td>{}</td></tr>", text::html_escape(text::join(host_list, ", ")));
  html += fmt::format("<tr><td>compiler</td><td>{}</td></tr>", text::html_escape(env::compiler()));
  html += fmt::format("<tr><td>build</td><td>descent {} ({}, {})</td></tr>", build_info::version, build_info::git_revision,
                      build_info::build_type);
  html += fmt::format("<tr><td>study created / updated</td><td>{} / {}</td></tr>", data.study.created_at, data.study.updated_at);
  html += "</table>";
  html += render_runs(data);
  html += "<details><summary>Resolved configuration</summary><pre>" + text::html_escape(config_pretty) + "</pre></details>";
  html += "<script id=\"descent-data\" type=\"application/json\">" + script_safe(payload.dump()) + "</script>";
  if (!uplot_js.empty()) html += "<script>" + uplot_js + "</script>";
  html += std::string("<script>") + kScript + "</script>";
  return html_page("descent study " + data.study.name, html, uplot_css, nullptr);
}

std::optional<std::filesystem::path> find_web_dir() {
  std::vector<std::filesystem::path> candidates;
  if (const char* override_dir = std::getenv("DESCENT_WEB_DIR")) candidates.emplace_back(override_dir);
  candidates.emplace_back(DESCENT_BUILD_WEB_DIR);
  candidates.emplace_back(DESCENT_INSTALL_WEB_DIR);
  for (const auto& dir : candidates) {
    if (std::filesystem::exists(dir / "uPlot.iife.min.js")) return dir;
  }
  return std::nullopt;
}

ReportPaths write_reports(const StudyData& data, const std::filesystem::path& out_dir) {
  std::string js, css;
  if (const auto web = find_web_dir()) {
    js = read_text(*web / "uPlot.iife.min.js");
    css = read_text(*web / "uPlot.min.css");
  }
  const std::filesystem::path dir = out_dir / data.study.name;
  ReportPaths paths{dir / "report.html", dir / "report.md"};
  env::write_file_atomically(paths.html, render_html(data, js, css));
  env::write_file_atomically(paths.markdown, render_markdown(data));
  return paths;
}

}  // namespace descent::report
