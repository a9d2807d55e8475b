#include "descent/tune/tune_report.hpp"

#include "descent/report/page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "descent/core/env.hpp"
#include "descent/core/text.hpp"
#include "descent/report/svg_chart.hpp"

namespace descent::tune {
namespace {

constexpr int kWidth = 420, kHeight = 280, kLeft = 60, kRight = 15, kTop = 30, kBottom = 40;

struct Axis {
  double low = 0, high = 1;
  bool log = false;
  double position(double v, double from, double to) const {  // v mapped onto [from, to]
    const double a = log ? std::log10(low) : low, b = log ? std::log10(high) : high, x = log ? std::log10(v) : v;
    return b > a ? from + (x - a) / (b - a) * (to - from) : 0.5 * (from + to);
  }
};

Axis axis_of(const std::vector<double>& values, bool log) {
  Axis axis{INFINITY, -INFINITY, log};
  for (const double v : values) axis.low = std::min(axis.low, v), axis.high = std::max(axis.high, v);
  if (!std::isfinite(axis.low)) axis.low = 0, axis.high = 1;
  if (axis.low == axis.high) axis.low -= 0.5, axis.high += 0.5;
  if (log && axis.low <= 0) axis.log = false;
  return axis;
}

std::string frame(const std::string& title, const std::string& x_label, const std::string& y_label, const Axis& x, const Axis& y) {
  std::string svg = fmt::format("<svg class=\"chart\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\">"
                                "<text class=\"title\" x=\"{2}\" y=\"18\">{3}</text>"
                                "<rect class=\"frame\" x=\"{2}\" y=\"{4}\" width=\"{5}\" height=\"{6}\"/>",
                                kWidth, kHeight, kLeft, text::html_escape(title), kTop, kWidth - kLeft - kRight, kHeight - kTop - kBottom);
  svg += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", (kLeft + kWidth - kRight) / 2,
                     kHeight - 6, text::html_escape(x_label));
  svg += fmt::format("<text class=\"axis\" x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text>",
                     (kTop + kHeight - kBottom) / 2, (kTop + kHeight - kBottom) / 2, text::html_escape(y_label));
  for (const auto& [axis, horizontal] : {std::pair{x, true}, std::pair{y, false}}) {
    for (const double t : {0.0, 0.5, 1.0}) {
      const double value = axis.log ? std::pow(10.0, std::log10(axis.low) + t * (std::log10(axis.high) - std::log10(axis.low)))
                                    : axis.low + t * (axis.high - axis.low);
      if (horizontal) {
        svg += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:.3g}</text>",
                           kLeft + t * (kWidth - kLeft - kRight), kHeight - kBottom + 14, value);
      } else {
        svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3g}</text>", kLeft - 4,
                           kHeight - kBottom - t * (kHeight - kTop - kBottom) + 4, value);
      }
    }
  }
  return svg;
}

double px(const Axis& x, double v) { return x.position(v, kLeft, kWidth - kRight); }
double py(const Axis& y, double v) { return y.position(v, kHeight - kBottom, kTop); }

std::vector<const Trial*> completed(const TuneReportData& data) {
  std::vector<const Trial*> out;
  for (const auto& t : data.trials) {
    if (t.state == TrialState::complete && t.value && std::isfinite(*t.value)) out.push_back(&t);
  }
  return out;
}

std::string history_chart(const TuneReportData& data) {
  const auto done = completed(data);
  std::vector<double> numbers, values;
  for (const Trial* t : done) numbers.push_back(static_cast<double>(t->number)), values.push_back(*t->value);
  const Axis x = axis_of(numbers, false), y = axis_of(values, false);
  std::string svg = frame("Optimization history", "trial", data.objective, x, y);
  std::string best_path;
  double best = INFINITY;
  for (const Trial* t : done) {
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>trial {}: {:.6g}</title></circle>",
                       px(x, static_cast<double>(t->number)), py(y, *t->value), report::series_color(0), t->number, *t->value);
    const double m = minimized(*t->value, data.direction);
    if (m < best) best = m;
    best_path += fmt::format("{}{:.1f},{:.1f}", best_path.empty() ? "M" : " L", px(x, static_cast<double>(t->number)),
                             py(y, minimized(best, data.direction)));
  }
  if (!best_path.empty()) svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>", best_path, report::series_color(1));
  svg += fmt::format("<text class=\"legend\" x=\"{}\" y=\"{}\" fill=\"{}\">best so far</text></svg>", kWidth - 90, kTop + 14,
                     report::series_color(1));
  return svg;
}

std::string slice_chart(const TuneReportData& data, std::size_t i) {
  const Parameter& p = data.space.parameters()[i];
  const auto done = completed(data);
  std::vector<double> xs, values;
  for (const Trial* t : done) xs.push_back(t->params[i]), values.push_back(*t->value);
  const bool categorical = p.kind == ParamKind::categorical;
  Axis x = categorical ? Axis{-0.5, static_cast<double>(p.choices.size()) - 0.5, false} : axis_of(xs, p.log);
  if (!categorical) x.low = std::min(x.low, p.low), x.high = std::max(x.high, p.high);
  const Axis y = axis_of(values, false);
  std::string svg = frame("Slice: " + p.name, p.name, data.objective, x, y);
  for (std::size_t k = 0; k < done.size(); ++k) {
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\" fill-opacity=\"0.7\"><title>trial {}: {} = {}</title></circle>",
                       px(x, xs[k]), py(y, values[k]), report::series_color(2), done[k]->number, p.name, data.space.display(i, xs[k]));
  }
  return svg + "</svg>";
}

std::string parallel_coordinates(const TuneReportData& data) {
  const auto done = completed(data);
  const std::size_t axes = data.space.size() + 1;
  const int width = std::max(kWidth, static_cast<int>(140 * axes));
  std::string svg = fmt::format("<svg class=\"chart\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\">"
                                "<text class=\"title\" x=\"{2}\" y=\"18\">Parallel coordinates (darker: better)</text>",
                                width, kHeight, kLeft);
  std::vector<Axis> scales;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < data.space.size(); ++i) {
    const Parameter& p = data.space.parameters()[i];
    scales.push_back(p.kind == ParamKind::categorical ? Axis{-0.5, static_cast<double>(p.choices.size()) - 0.5, false}
                                                      : Axis{p.low, p.high, p.log});
    names.push_back(p.name);
  }
  std::vector<double> values;
  for (const Trial* t : done) values.push_back(*t->value);
  scales.push_back(axis_of(values, false));
  names.push_back(data.objective);
  const auto x_of = [&](std::size_t a) { return kLeft + static_cast<double>(a) * (width - kLeft - 80) / static_cast<double>(axes - 1); };
  for (std::size_t a = 0; a < axes; ++a) {
    svg += fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#999\"/>"
                       "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>"
                       "<text class=\"tick\" x=\"{5:.1f}\" y=\"{6}\">{7:.3g}</text><text class=\"tick\" x=\"{5:.1f}\" y=\"{8}\">{9:.3g}</text>",
                       x_of(a), kTop, kHeight - kBottom, kHeight - kBottom + 14, text::html_escape(names[a]), x_of(a) + 3,
                       kTop + 8, scales[a].high, kHeight - kBottom - 2, scales[a].low);
  }
  // Rank colouring: the best trial darkest.
  std::vector<std::size_t> order(done.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return minimized(*done[a]->value, data.direction) > minimized(*done[b]->value, data.direction);
  });
  for (std::size_t r = 0; r < order.size(); ++r) {
    const Trial* t = done[order[r]];
    std::string path;
    for (std::size_t a = 0; a < axes; ++a) {
      const double v = a + 1 < axes ? t->params[a] : *t->value;
      path += fmt::format("{}{:.1f},{:.1f}", a ? " L" : "M", x_of(a), py(scales[a], v));
    }
    const double shade = order.size() > 1 ? static_cast<double>(r) / static_cast<double>(order.size() - 1) : 1.0;
    svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"rgb(30,80,{})\" stroke-opacity=\"{:.2f}\"><title>trial {}</title></path>",
                       path, static_cast<int>(220 - 150 * shade), 0.25 + 0.75 * shade, t->number);
  }
  return svg + "</svg>";
}

}  // namespace

std::string tune_markdown(const TuneReportData& data) {
  std::string md = fmt::format("# Tuning study {}\n\nObjective: {} ({}), trials in `{}`.\n\n", data.study, data.objective,
                               data.direction == Direction::minimize ? "minimize" : "maximize", data.store);
  const Trial* best = nullptr;
  int counts[4] = {0, 0, 0, 0};
  for (const auto& t : data.trials) {
    ++counts[static_cast<int>(t.state)];
    if (t.state == TrialState::complete && t.value &&
        (!best || minimized(*t.value, data.direction) < minimized(*best->value, data.direction))) {
      best = &t;
    }
  }
  md += fmt::format("Trials: {} complete, {} pruned, {} failed, {} running.\n\n", counts[1], counts[2], counts[3], counts[0]);
  if (best) {
    md += fmt::format("Best: trial {} with {} = {:.6g}:", best->number, data.objective, *best->value);
    for (std::size_t i = 0; i < data.space.size(); ++i) md += fmt::format(" {} = {};", data.space.parameters()[i].name, data.space.display(i, best->params[i]));
    md += "\n\n";
  }
  md += "| trial | state | " + data.objective + " |";
  for (const auto& p : data.space.parameters()) md += " " + p.name + " |";
  md += "\n|---|---|---|";
  for (std::size_t i = 0; i < data.space.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& t : data.trials) {
    md += fmt::format("| {} | {} | {} |", t.number, state_name(t.state), t.value ? fmt::format("{:.6g}", *t.value) : "-");
    for (std::size_t i = 0; i < data.space.size() && i < t.params.size(); ++i) md += " " + data.space.display(i, t.params[i]) + " |";
    md += "\n";
  }
  return md;
}

std::filesystem::path write_tune_report(const TuneReportData& data, const std::filesystem::path& report_dir) {
  const auto dir = report_dir / data.study;
  const std::string md = tune_markdown(data);
  std::string body = fmt::format("<h1>descent tune {}</h1><div class=\"charts\">{}", text::html_escape(data.study), history_chart(data));
  for (std::size_t i = 0; i < data.space.size(); ++i) body += slice_chart(data, i);
  body += parallel_coordinates(data);
  body += fmt::format("</div><pre>{}</pre><p>Written {} by descent.</p>", text::html_escape(md), env::utc_now());
  const std::string html = report::html_page("descent tune " + data.study, body);
  env::write_file_atomically(dir / "tune.md", md);
  env::write_file_atomically(dir / "tune.html", html);
  return dir / "tune.html";
}

}  // namespace descent::tune
