// Line charts drawn as SVG by descent itself: median lines with interquartile bands. Reports embed
// them so that they read offline and without JavaScript.
#pragma once

#include <string>
#include <vector>

#include "descent/report/series.hpp"

namespace descent::report {

struct ChartLine {
  std::string label;
  std::string color;  // CSS colour
  BandSeries band;
};

struct ChartSpec {
  std::string title;
  std::string x_label = "step";
  std::string y_label;
  bool log_y = false;
  std::vector<ChartLine> lines;
  int width = 640;
  int height = 340;
};

std::string render_svg(const ChartSpec& chart);

// A palette of distinguishable colours, indexed by series.
const std::string& series_color(std::size_t index);

}  // namespace descent::report
