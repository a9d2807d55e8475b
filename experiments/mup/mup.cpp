// mup: Yang & Hu, "Feature Learning in Infinite-Width Neural Networks" (Tensor Programs IV, ICML
// 2021). Claim (abstract): "the standard and NTK parametrizations of a neural network do not admit
// infinite-width limits that can learn features"; their "Maximal Update Parametrization" does.
// The observable form is microsoft/mup's coordinate check: after a few SGD steps at a fixed
// learning rate, how the change of a hidden layer's activations scales with width - of order one
// under muP (features learn), shrinking like width^-1/2 under the NTK parameterization (kernel
// regime), growing under the standard parameterization (unstable at large width). Fashion-MNIST,
// MLP 784 -> w -> w -> 10, ReLU, one fixed batch of 64 images (mup's fix_data), 3 steps, 3 seeds.
#include <fmt/format.h>

#include "descent/data/dataset.hpp"
#include "descent/data/options.hpp"
#include "descent/data/tensors.hpp"
#include "descent/diag/coordinate_check.hpp"
#include "descent/models/models.hpp"
#include "descent/repro/experiment.hpp"

namespace descent::repro {
namespace {

using models::Parameterization;

const std::vector<std::int64_t> kWidths = {128, 256, 512, 1024, 2048};
constexpr std::int64_t kBaseWidth = 128, kBatch = 64, kSteps = 3;
constexpr double kLearningRate = 0.1;  // mup's coord_check default for SGD
const std::string kLayer = "hidden2";  // the last hidden layer, after its ReLU
constexpr double kMupBand = 0.1, kNtkSlope = -0.5, kNtkBand = 0.1, kStandardFloor = 0.3;

const Criterion kMupFlat{"muP: the last hidden layer's update is width-independent",
                         fmt::format("log-log slope of mean |h_3 - h_0| of {} vs width in [-{}, {}]", kLayer, kMupBand, kMupBand)};
const Criterion kNtkShrinks{"NTK parameterization: the update shrinks like width^-1/2",
                            fmt::format("the same slope in {} +- {}", kNtkSlope, kNtkBand)};
const Criterion kStandardGrows{"standard parameterization at a fixed rate: the update grows with width",
                               fmt::format("the same slope > {}", kStandardFloor)};

struct Case {
  Parameterization kind;
  const char* name;
};
const Case kCases[] = {{Parameterization::mup, "mup"}, {Parameterization::ntk, "ntk"}, {Parameterization::standard, "standard"}};

diag::CoordinateCheck check(Parameterization kind, const torch::Tensor& x, const torch::Tensor& y) {
  const models::ParameterizationOptions scaling{kind, kind == Parameterization::mup ? kBaseWidth : 0, 0.1};
  const auto model_of_width = [&](std::int64_t width) -> std::shared_ptr<models::Model> {
    return std::make_shared<models::Mlp>(784, std::vector<std::int64_t>{width, width}, 10, "relu", false, 0, scaling);
  };
  return diag::coordinate_check(model_of_width, x, y, {kWidths, "sgd", {{"lr", kLearningRate}}, kSteps, 3});
}

report::ChartSpec chart(const std::string& name, const diag::CoordinateCheck& result) {
  report::ChartSpec spec{fmt::format("{}: mean |h_t - h_0| vs width (log-log)", name), "log2 width", "mean |change|", true, {}};
  for (std::size_t l = 0; l < result.layers.size(); ++l) {
    report::BandSeries series;
    for (std::size_t w = 0; w < result.widths.size(); ++w) series.add(std::log2(static_cast<double>(result.widths[w])), result.change[w][l].back());
    spec.lines.push_back({result.layers[l] + ", t = 3", report::series_color(l), series});
  }
  return spec;
}

Outcome run_mup(const Context&) {
  data::Dataset train = data::load_fashion_mnist(data::DataOptions{}.dir, "train");
  data::keep_subset(train, kBatch, 0);
  const data::LabeledTensors batch = data::as_tensors(train);
  Outcome outcome;
  std::string table = "| parameterization | layer | slope after 1 step | 2 steps | 3 steps | mean abs at init, width 128 -> 2048 |\n|---|---|---|---|---|---|\n";
  std::map<std::string, double> slopes;
  for (const Case& c : kCases) {
    const diag::CoordinateCheck result = check(c.kind, batch.features, batch.targets);
    for (std::size_t l = 0; l < result.layers.size(); ++l) {
      const std::string& layer = result.layers[l];
      table += fmt::format("| {} | {} | {:+.3f} | {:+.3f} | {:+.3f} | {:.3g} -> {:.3g} |\n", c.name, layer, result.slope(layer, 1),
                           result.slope(layer, 2), result.slope(layer, 3), result.size.front()[l], result.size.back()[l]);
    }
    slopes[c.name] = result.slope(kLayer, kSteps);
    outcome.charts.push_back(chart(c.name, result));
  }
  outcome.record(kMupFlat, fmt::format("slope {:+.3f}", slopes["mup"]), std::abs(slopes["mup"]) <= kMupBand);
  outcome.record(kNtkShrinks, fmt::format("slope {:+.3f}", slopes["ntk"]), std::abs(slopes["ntk"] - kNtkSlope) <= kNtkBand);
  outcome.record(kStandardGrows, fmt::format("slope {:+.3f}", slopes["standard"]), slopes["standard"] > kStandardFloor);
  outcome.details_markdown = fmt::format(
      "diag::coordinate_check on `[model] parameterization` = mup (base width {}), ntk (N(0, 1), 1/sqrt(fan_in), beta 0.1) and "
      "standard; descent's sgd at lr {} with the model's per-layer rates (mup: MuSGD's), cross-entropy on one fixed batch of {} "
      "Fashion-MNIST training images, {} steps, 3 seeds per width. h is each traced layer's activation (after ReLU) and the "
      "logits.\n\n{}\n"
      "On the standard parameterization: the specs' check reads 'output blows up, slope > 0.3'; the criterion above was written "
      "on the last hidden layer for all three parameterizations. The table shows both: under PyTorch's default initialization "
      "(variance 1/(3 fan_in)) the hidden activations are small (mean |h| about 0.04), so the sqrt(width) growth of the hidden "
      "update that SGD at a fixed rate causes in the standard parameterization has not overtaken the other terms by width 2048, "
      "while the logits' update already grows with width.\n\n"
      "Left out of this experiment: the learning-rate transfer sweep across widths (the best rate of a grid of powers of 2 staying "
      "within one grid point under muP and moving under the standard parameterization); the pieces it needs exist (the "
      "parameterizations are study settings), its cost on two cores does not fit this experiment's budget.",
      kBaseWidth, kLearningRate, kBatch, kSteps, table);
  return outcome;
}

}  // namespace

Experiment mup_experiment() {
  return {"mup",
          "Yang & Hu, Feature Learning in Infinite-Width Neural Networks (Tensor Programs IV, ICML 2021)",
          "under the Maximal Update Parametrization hidden features move by order one whatever the width; under the NTK "
          "parameterization they freeze as width grows, under the standard one at a fixed rate they blow up",
          {kMupFlat, kNtkShrinks, kStandardGrows},
          "about a minute",
          Budget::full,
          run_mup};
}

}  // namespace descent::repro
