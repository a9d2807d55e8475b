#include "descent/report/page.hpp"

#include "descent/core/text.hpp"

namespace descent::report {

const char* stylesheet() {
  return R"css(
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; } th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; } small { color: #666; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; }
.chart .title { font-weight: 600; font-size: 13px; } .chart .tick, .chart .legend, .chart .axis { font-size: 11px; fill: #444; }
.chart .frame { fill: none; stroke: #999; } .chart .grid { stroke: #eee; }
pre { background: #f6f6f6; padding: 0.8em; overflow: auto; max-height: 30em; white-space: pre-wrap; }
.interactive .svg-fallback { display: none; } .uplot-chart { display: none; } .interactive .uplot-chart { display: block; }
)css";
}

std::string html_page(const std::string& title, const std::string& body, const std::string& extra_css, const char* status) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + text::html_escape(title) +
                     "</title><style>" + stylesheet() + extra_css + "</style></head>";
  html += status ? std::string("<body data-descent-status=\"") + status + "\">" : std::string("<body>");
  return html + body + "</body></html>\n";
}

}  // namespace descent::report
