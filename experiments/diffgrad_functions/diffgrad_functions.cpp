// diffgrad-functions: the diffGrad paper's three one-dimensional functions (Dubey et al., TNNLS
// 2019; the analytical notebook of shivram1987/diffGrad). Every run starts at x0 = -1 for 300
// iterations with lr 0.1, beta1 0.95, beta2 0.999, eps 1e-8 (SGD-momentum: lr 0.1, momentum 0.9).
// The notebook's Adam puts eps inside the square root; descent's Adam (torch's) puts it outside,
// which matters only where v is of the order of eps.
#include <fmt/format.h>

#include <cmath>
#include <functional>

#include "../study_tools.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/report/svg_chart.hpp"

namespace descent::repro {
namespace {

struct Function {
  std::string name;
  std::function<double(double)> gradient;
  std::string minima;
};

std::vector<Function> functions() {
  return {
      {"F1", [](double x) { return x <= 0 ? 2 * x + 0.6 : 2 * x - 0.4; }, "global minimum at -0.3, local at 0.2"},
      {"F2", [](double x) { return x <= -0.9 ? -40.0 : x * std::cos(8 * x) + std::sin(8 * x) + 3 * x * x; },
       "many local minima; the steep wall at -0.9"},
      {"F3",
       [](double x) {
         if (x <= -0.5) return 2 * x;
         if (x <= -0.4) return 1.0;
         if (x <= 0) return -7.0 / 8;
         if (x <= 0.4) return 7.0 / 8;
         if (x <= 0.5) return -1.0;
         return 2 * x;
       },
       "minima at -0.5, 0 and 0.5"},
  };
}

struct Method {
  std::string label;
  std::string optimizer;
  ParamValues hyper;
};

std::vector<Method> methods() {
  const ParamValues adam_like = {{"lr", 0.1}, {"beta1", 0.95}, {"beta2", 0.999}, {"eps", 1e-8}};
  ParamValues published = adam_like;
  published["published"] = 1;
  return {{"Adam", "adam", adam_like},
          {"AMSGrad", "amsgrad", adam_like},
          {"SGD-momentum", "sgd", {{"lr", 0.1}, {"momentum", 0.9}}},
          {"diffGrad", "diffgrad", adam_like},
          {"diffGrad (published code)", "diffgrad", published}};
}

std::vector<double> trajectory(const Function& f, const Method& m) {
  std::vector<double> x = {-1.0}, path = {-1.0};
  optim::BufferOptimizer<double> optimizer(m.optimizer, m.hyper, {std::span<double>(x)});
  for (int t = 0; t < 300; ++t) {
    const std::vector<double> g = {f.gradient(x[0])};
    optimizer.step({std::span<const double>(g)});
    path.push_back(x[0]);
  }
  return path;
}

double amplitude_of_last(const std::vector<double>& path, std::size_t count) {
  const auto begin = path.end() - static_cast<std::ptrdiff_t>(count);
  return *std::max_element(begin, path.end()) - *std::min_element(begin, path.end());
}

Outcome run_functions(const Context&) {
  Outcome outcome;
  std::string md = "| function | method | final x | oscillation over the last 100 iterations (max - min of x) |\n|---|---|---|---|\n";
  for (const auto& f : functions()) {
    report::ChartSpec chart{fmt::format("{}: x against iteration ({})", f.name, f.minima), "iteration", "x", false, {}};
    std::map<std::string, double> amplitude;
    std::size_t colour = 0;
    for (const auto& m : methods()) {
      const auto path = trajectory(f, m);
      amplitude[m.label] = amplitude_of_last(path, 100);
      md += fmt::format("| {} | {} | {:.4f} | {:.2e} |\n", f.name, m.label, path.back(), amplitude[m.label]);
      report::BandSeries band;
      for (std::size_t t = 0; t < path.size(); ++t) band.add(static_cast<double>(t), path[t]);
      chart.lines.push_back({m.label, report::series_color(colour++), band});
    }
    outcome.charts.push_back(chart);
    outcome.checks.push_back({fmt::format("{}: diffGrad oscillates no more than Adam over the last 100 iterations", f.name),
                              fmt::format("diffGrad {:.2e}, Adam {:.2e}", amplitude["diffGrad"], amplitude["Adam"]),
                              amplitude["diffGrad"] <= amplitude["Adam"]});
  }
  outcome.details_markdown = md;
  return outcome;
}

}  // namespace

Experiment diffgrad_functions_experiment() {
  return {"diffgrad-functions",
          "Dubey et al., diffGrad: An Optimization Method for Convolutional Neural Networks (IEEE TNNLS 2019)",
          "on the three synthetic one-dimensional functions, diffGrad's friction damps the oscillation around the minimum that "
          "Adam shows",
          "PASS when, on each of F1-F3 from x0 = -1 over 300 iterations, corrected diffGrad's oscillation (max - min of x over "
          "the last 100 iterations) is at most Adam's",
          "under a second", run_functions};
}

}  // namespace descent::repro
