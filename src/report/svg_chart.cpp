#include "descent/report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "descent/core/text.hpp"

namespace descent::report {
namespace {

struct Range {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  void include(double v) {
    if (!std::isfinite(v)) return;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  bool empty() const { return low > high; }
};

// Axis ticks at 1, 2 or 5 times a power of ten, about `target` of them.
std::vector<double> nice_ticks(double low, double high, int target = 5) {
  const double span = high - low;
  const double raw = span / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (span / step <= target) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

std::string tick_label(double value) {
  if (value != 0.0 && (std::abs(value) >= 1e5 || std::abs(value) < 1e-3)) return fmt::format("{:.0e}", value);
  return fmt::format("{:g}", value);
}

}  // namespace

const std::string& series_color(std::size_t index) {
  static const std::vector<std::string> palette = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
  return palette[index % palette.size()];
}

std::string render_svg(const ChartSpec& chart) {
  constexpr double left = 64, right = 16, top = 30, bottom = 44;
  const double plot_w = chart.width - left - right, plot_h = chart.height - top - bottom;
  const auto y_of_value = [&](double v) { return chart.log_y ? std::log10(v) : v; };

  Range xs, ys;
  for (const auto& line : chart.lines) {
    for (std::size_t i = 0; i < line.band.steps.size(); ++i) {
      xs.include(line.band.steps[i]);
      for (const double v : {line.band.q1[i], line.band.median[i], line.band.q3[i]}) {
        if (!chart.log_y || v > 0) ys.include(y_of_value(v));
      }
    }
  }
  std::string svg = fmt::format(
      R"svg(<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">)svg",
      chart.width, chart.height, chart.width, chart.height, text::html_escape(chart.title));
  svg += fmt::format(R"svg(<text x="{}" y="18" class="title">{}</text>)svg", left, text::html_escape(chart.title));
  if (xs.empty() || ys.empty()) {
    svg += fmt::format(R"svg(<text x="{}" y="{}">no data</text></svg>)svg", left + 10, top + plot_h / 2);
    return svg;
  }
  if (xs.high == xs.low) xs.high = xs.low + 1;
  if (ys.high == ys.low) {
    ys.low -= 0.5;
    ys.high += 0.5;
  }
  const double pad = 0.04 * (ys.high - ys.low);
  ys.low -= pad;
  ys.high += pad;
  const auto px = [&](double x) { return left + (x - xs.low) / (xs.high - xs.low) * plot_w; };
  const auto py = [&](double v) { return top + (ys.high - y_of_value(v)) / (ys.high - ys.low) * plot_h; };

  // Grid and axes.
  svg += fmt::format(R"svg(<rect x="{}" y="{}" width="{}" height="{}" class="frame"/>)svg", left, top, plot_w, plot_h);
  std::vector<double> y_ticks;
  if (chart.log_y && ys.high - ys.low >= 1.0) {
    for (double d = std::ceil(ys.low); d <= ys.high; d += 1.0) y_ticks.push_back(std::pow(10.0, d));
  } else {
    for (const double t : nice_ticks(ys.low, ys.high)) y_ticks.push_back(chart.log_y ? std::pow(10.0, t) : t);
  }
  for (const double t : y_ticks) {
    svg += fmt::format(R"svg(<line x1="{:.1f}" x2="{:.1f}" y1="{:.1f}" y2="{:.1f}" class="grid"/>)svg", left, left + plot_w, py(t), py(t));
    svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" class="tick" text-anchor="end">{}</text>)svg", left - 6, py(t) + 4, tick_label(t));
  }
  for (const double t : nice_ticks(xs.low, xs.high)) {
    svg += fmt::format(R"svg(<line x1="{:.1f}" x2="{:.1f}" y1="{:.1f}" y2="{:.1f}" class="grid"/>)svg", px(t), px(t), top, top + plot_h);
    svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" class="tick" text-anchor="middle">{}</text>)svg", px(t), top + plot_h + 16, tick_label(t));
  }
  svg += fmt::format(R"svg(<text x="{:.1f}" y="{}" class="axis" text-anchor="middle">{}</text>)svg", left + plot_w / 2,
                     chart.height - 8, text::html_escape(chart.x_label));
  svg += fmt::format(R"svg(<text transform="translate(14 {:.1f}) rotate(-90)" class="axis" text-anchor="middle">{}{}</text>)svg",
                     top + plot_h / 2, text::html_escape(chart.y_label), chart.log_y ? " (log)" : "");

  // Bands, then median lines on top, then the legend.
  for (const auto& line : chart.lines) {
    const auto& b = line.band;
    std::string upper, lower;
    for (std::size_t i = 0; i < b.steps.size(); ++i) {
      if (chart.log_y && (b.q1[i] <= 0 || b.q3[i] <= 0)) continue;
      upper += fmt::format("{:.1f},{:.1f} ", px(b.steps[i]), py(b.q3[i]));
      lower = fmt::format("{:.1f},{:.1f} ", px(b.steps[i]), py(b.q1[i])) + lower;
    }
    svg += fmt::format(R"svg(<polygon points="{}{}" fill="{}" fill-opacity="0.18" stroke="none"/>)svg", upper, lower, line.color);
  }
  for (const auto& line : chart.lines) {
    std::string points;
    for (std::size_t i = 0; i < line.band.steps.size(); ++i) {
      if (chart.log_y && line.band.median[i] <= 0) continue;
      points += fmt::format("{:.1f},{:.1f} ", px(line.band.steps[i]), py(line.band.median[i]));
    }
    svg += fmt::format(R"svg(<polyline points="{}" fill="none" stroke="{}" stroke-width="1.6"><title>{}</title></polyline>)svg",
                       points, line.color, text::html_escape(line.label));
  }
  double legend_x = left + 8;
  for (const auto& line : chart.lines) {
    svg += fmt::format(R"svg(<rect x="{:.1f}" y="{}" width="12" height="3" fill="{}"/>)svg", legend_x, top + 8, line.color);
    svg += fmt::format(R"svg(<text x="{:.1f}" y="{}" class="legend">{}</text>)svg", legend_x + 16, top + 13, text::html_escape(line.label));
    legend_x += 28 + 7.0 * static_cast<double>(line.label.size());
  }
  svg += "</svg>";
  return svg;
}

}  // namespace descent::report
