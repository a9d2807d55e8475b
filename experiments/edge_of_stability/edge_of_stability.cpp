// edge-of-stability: under full-batch gradient descent the sharpness rises (progressive
// sharpening) until it reaches 2/eta, then hovers there (Cohen et al., ICLR 2021).
#include <fmt/format.h>

#include "../study_tools.hpp"
#include "descent/experiment_configs.hpp"
#include "descent/report/series.hpp"

namespace descent::repro {
namespace {

const std::vector<double> kRates = {0.05, 0.1};
constexpr double kBand = 0.2;

Outcome run_eos(const Context& context) {
  Outcome outcome;
  std::string md = "| step size | 2/eta | first sharpness | max sharpness | median over the last quarter |\n|---|---|---|---|---|\n";
  report::ChartSpec chart{"Sharpness against step (dashed levels: 2/eta)", "step", "top Hessian eigenvalue", false, {}};
  int settled = 0;
  std::size_t colour = 0;
  for (const double rate : kRates) {
    auto config = study::parse_study_config(configs::edge_of_stability, "experiments/edge_of_stability/study.toml");
    config.name = fmt::format("edge-of-stability-lr{}", rate);
    config.optimizers.front().hyper["lr"] = rate;
    run(config, context);
    const auto metrics = metrics_by_seed(context, config.name, "sgd").at(0);
    report::BandSeries sharpness, threshold;
    for (const auto& row : metrics) {
      if (row.name == "sharpness") sharpness.add(static_cast<double>(row.step), row.value);
      if (row.name == "stability_threshold") threshold.add(static_cast<double>(row.step), row.value);
    }
    const double limit = 2.0 / rate;
    const std::size_t count = sharpness.median.size();
    const std::vector<double> last_quarter(sharpness.median.end() - static_cast<std::ptrdiff_t>(count / 4), sharpness.median.end());
    const double settled_at = report::quantile(last_quarter, 0.5);
    const double first = sharpness.median.front();
    const double peak = *std::max_element(sharpness.median.begin(), sharpness.median.end());
    const bool rose = first < limit && peak > first;
    const bool near = std::abs(settled_at - limit) <= kBand * limit;
    settled += rose && near;
    md += fmt::format("| {} | {:.1f} | {:.2f} | {:.2f} | {:.2f} |\n", rate, limit, first, peak, settled_at);
    chart.lines.push_back({fmt::format("sharpness, eta {}", rate), report::series_color(colour), sharpness});
    chart.lines.push_back({fmt::format("2/eta = {:.0f}", limit), report::series_color(colour + 5), threshold});
    ++colour;
    outcome.checks.push_back({fmt::format("eta {}: sharpness rises from below 2/eta and its last-quarter median is within {:.0f}% of 2/eta", rate, 100 * kBand),
                              fmt::format("first {:.2f}, peak {:.2f}, last-quarter median {:.2f}, 2/eta {:.1f}", first, peak, settled_at, limit),
                              rose && near});
  }
  outcome.details_markdown = "Full-batch GD on 1,000 Fashion-MNIST images, MLP 784-64-10 (tanh), cross-entropy, 1,500 steps; "
                             "sharpness every 20 steps by 20 Lanczos iterations on the same 1,000 images.\n\n" + md;
  outcome.charts.push_back(chart);
  return outcome;
}

}  // namespace

Experiment edge_of_stability_experiment() {
  return {"edge-of-stability",
          "Cohen, Kaur, Li, Kolter & Talwalkar, Gradient Descent on Neural Networks Typically Occurs at the Edge of Stability "
          "(ICLR 2021)",
          "under full-batch gradient descent the sharpness rises until it reaches 2/eta and then hovers at that value",
          fmt::format("PASS when, for both step sizes 0.05 and 0.1, the sharpness starts below 2/eta, rises, and the median of "
                      "its last quarter of measurements lies within {:.0f}% of 2/eta",
                      100 * kBand),
          "about half a minute", run_eos};
}

}  // namespace descent::repro
