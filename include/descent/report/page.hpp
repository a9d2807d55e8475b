// Every HTML page descent writes (study, tune, repro, diagnose and lr-find reports) goes through
// one writer with one stylesheet, so they look alike and a style fix lands everywhere.
#pragma once

#include <string>

namespace descent::report {

// The stylesheet (tables, charts drawn by report/svg_chart.hpp, code, uPlot containers).
const char* stylesheet();

// A whole page: the doctype, `title` (escaped here), the stylesheet plus `extra_css`, and `body`
// (HTML). `status` marks <body data-descent-status=...> for pages whose script does not set it
// (nullptr: leave it to the page's script); the report browser test reads it.
std::string html_page(const std::string& title, const std::string& body, const std::string& extra_css = "",
                      const char* status = "ok");

}  // namespace descent::report
