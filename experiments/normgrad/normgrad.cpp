// normgrad: Rebuffi, Fong, Ji & Vedaldi, "There and Back Again: Revisiting Backpropagation
// Saliency Methods" (CVPR 2020). Abstract: "we use our framework to propose NormGrad, a novel
// saliency method based on the spatial contribution of gradients of convolutional weights ... we
// combine saliency maps at different layers ... and we explain why some methods fail at specific
// layers (e.g., Grad-CAM anywhere besides the last convolutional layer)". Their benchmark is the
// pointing game on VOC07/COCO14 with VGG16 and ResNet50 (TorchRay); scaled down as the specs say to
// a small CNN on Fashion-MNIST items pasted onto a noise canvas, where the object's box is known.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "descent/data/composite_images.hpp"
#include "descent/data/dataset.hpp"
#include "descent/data/tensors.hpp"
#include "descent/experiment_configs.hpp"
#include "descent/models/models.hpp"
#include "descent/saliency/pointing_game.hpp"
#include "descent/saliency/saliency.hpp"
#include "descent/study/config.hpp"
#include "../study_tools.hpp"
#include "descent/repro/experiment.hpp"

namespace descent::repro {
namespace {

using saliency::Aggregation;
using saliency::VirtualIdentity;

constexpr std::int64_t kCanvas = 56, kTrainImages = 6000, kTestImages = 1000;
constexpr double kNoise = 0.3, kObjectThreshold = 0.1;
// TorchRay's 15-pixel tolerance at 224 pixels, at this canvas's scale.
constexpr double kTolerance = 15.0 * kCanvas / 224.0;
constexpr double kIdentityTolerance = 1e-6, kExactTolerance = 1e-10;
constexpr double kHitRate = 0.8, kAboveRandom = 0.5, kGradCamDrop = 0.2, kNormGradLead = 0.2;
const std::vector<std::string> kLayers = {"conv1", "pool1", "conv2", "pool2"};
const std::string kFirstBlock = "pool1", kLastBlock = "pool2";  // VGG's maps were pool outputs too

const Criterion kNormGradIdentity{"conv1x1 + norm is ||a_u|| ||g_u||",
                                  fmt::format("relative difference <= {:.0e} at every location of every layer (float64)", kIdentityTolerance)};
const Criterion kSumIdentity{"conv1x1 + sum: its diagonal is scaling + sum, its whole sum (sum a)(sum g)",
                             fmt::format("both to {:.0e} (float64)", kExactTolerance)};
const Criterion kNormGradPoints{"NormGrad at the last block points at the object",
                                fmt::format("pointing-game hit rate at {} >= {} and >= random + {}", kLastBlock, kHitRate, kAboveRandom)};
const Criterion kGradCamDegrades{"Grad-CAM fails away from the last block",
                                 fmt::format("Grad-CAM's hit rate at {} <= its rate at {} - {}", kFirstBlock, kLastBlock, kGradCamDrop)};
const Criterion kNormGradHolds{"NormGrad does not fail there",
                               fmt::format("NormGrad's hit rate at {} >= Grad-CAM's there + {}", kFirstBlock, kNormGradLead)};

data::Splits canvas_splits(const data::DataOptions& source, std::vector<data::PixelBox>& test_boxes) {
  data::Dataset train = data::load_fashion_mnist(source.dir, "train"), test = data::load_fashion_mnist(source.dir, "t10k");
  data::keep_subset(train, kTrainImages, 0);
  data::keep_subset(test, kTestImages, 1);
  data::CanvasImages test_canvas = data::pasted_on_canvas(test, kCanvas, kNoise, kObjectThreshold, 12);
  test_boxes = test_canvas.boxes;
  return {data::pasted_on_canvas(train, kCanvas, kNoise, kObjectThreshold, 11).dataset, {}, std::move(test_canvas.dataset)};
}

struct Identities {
  double normgrad_relative = 0.0, trace_gap = 0.0, sum_gap = 0.0;
  double sum_vs_scaling = 0.0;  // how far conv1x1 + sum is from scaling + sum (relative), the specs' reading
};

// The identities on the trained network, in float64, on a few test canvases.
Identities check_identities(models::Model& model, const torch::Tensor& x, const torch::Tensor& classes) {
  model.to(torch::kFloat64);
  Identities out;
  for (const auto& layer : saliency::layer_gradients(model, x.to(torch::kFloat64), classes, kLayers)) {
    const torch::Tensor product = layer.activation.norm(2, 1) * layer.gradient.norm(2, 1);
    const torch::Tensor normgrad = saliency::normgrad(layer, VirtualIdentity::conv1x1, Aggregation::norm);
    out.normgrad_relative = std::max(out.normgrad_relative, ((normgrad - product).abs() / product.clamp_min(1e-300)).max().item<double>());
    const torch::Tensor entries = saliency::virtual_identity_gradient(layer, VirtualIdentity::conv1x1);
    const std::int64_t c = layer.activation.size(1);
    const torch::Tensor trace = entries.reshape({entries.size(0), c, c, entries.size(2), entries.size(3)}).diagonal(0, 1, 2).sum(-1);
    const torch::Tensor scaling_sum = saliency::normgrad(layer, VirtualIdentity::scaling, Aggregation::sum);
    const torch::Tensor full_sum = saliency::aggregate(entries, Aggregation::sum);
    const double scale = scaling_sum.abs().max().item<double>();
    out.trace_gap = std::max(out.trace_gap, (trace - scaling_sum).abs().max().item<double>() / scale);
    out.sum_gap = std::max(out.sum_gap, (full_sum - layer.activation.sum(1) * layer.gradient.sum(1)).abs().max().item<double>() /
                                            full_sum.abs().max().item<double>());
    out.sum_vs_scaling = std::max(out.sum_vs_scaling, (full_sum - scaling_sum).abs().max().item<double>() / scale);
  }
  model.to(torch::kFloat32);
  return out;
}

struct HitRates {
  std::map<std::string, double> normgrad, grad_cam;
  double normgrad_combined = 0.0, grad_cam_combined = 0.0, input_gradient = 0.0, gradient_times_input = 0.0;
};

double hit_rate(const torch::Tensor& maps, const std::vector<data::PixelBox>& boxes) {
  const torch::Tensor flat = maps.to(torch::kFloat32).contiguous();
  return saliency::pointing_game({flat.data_ptr<float>(), static_cast<std::size_t>(flat.numel())}, kCanvas, kCanvas, boxes, kTolerance);
}

// Every method's pointing-game hit rate over the test canvases, for the true class.
HitRates pointing_game(models::Model& model, const data::Dataset& test, const std::vector<data::PixelBox>& boxes) {
  const data::LabeledTensors tensors = data::as_tensors(test);
  std::map<std::string, std::vector<torch::Tensor>> normgrad_maps, grad_cam_maps;
  std::vector<torch::Tensor> normgrad_combined, grad_cam_combined, input_maps, times_input_maps;
  for (std::int64_t start = 0; start < test.size(); start += 100) {
    const std::int64_t count = std::min<std::int64_t>(100, test.size() - start);
    const torch::Tensor x = tensors.features.narrow(0, start, count), classes = tensors.targets.narrow(0, start, count);
    std::vector<torch::Tensor> normgrad_layers, grad_cam_layers;
    for (const auto& layer : saliency::layer_gradients(model, x, classes, kLayers)) {
      normgrad_layers.push_back(saliency::normgrad(layer));
      grad_cam_layers.push_back(saliency::grad_cam(layer));
      normgrad_maps[layer.layer].push_back(saliency::upsample_normalized(normgrad_layers.back(), kCanvas, kCanvas));
      grad_cam_maps[layer.layer].push_back(saliency::upsample_normalized(grad_cam_layers.back(), kCanvas, kCanvas));
    }
    normgrad_combined.push_back(saliency::combine(normgrad_layers, kCanvas, kCanvas));
    grad_cam_combined.push_back(saliency::combine(grad_cam_layers, kCanvas, kCanvas));
    input_maps.push_back(saliency::logit_gradient(model, x, classes).abs().sum(1));
    times_input_maps.push_back(saliency::gradient_times_input(model, x, classes).abs().sum(1));
  }
  HitRates rates;
  for (const auto& name : kLayers) {
    rates.normgrad[name] = hit_rate(torch::cat(normgrad_maps[name]), boxes);
    rates.grad_cam[name] = hit_rate(torch::cat(grad_cam_maps[name]), boxes);
  }
  rates.normgrad_combined = hit_rate(torch::cat(normgrad_combined), boxes);
  rates.grad_cam_combined = hit_rate(torch::cat(grad_cam_combined), boxes);
  rates.input_gradient = hit_rate(torch::cat(input_maps), boxes);
  rates.gradient_times_input = hit_rate(torch::cat(times_input_maps), boxes);
  return rates;
}

Outcome run_normgrad(const Context& context) {
  Outcome outcome;
  const study::StudyConfig config = study::parse_study_config(configs::normgrad, "experiments/normgrad/study.toml");
  std::vector<data::PixelBox> boxes;
  const data::Splits splits = canvas_splits(config.data, boxes);
  const std::filesystem::path dir = context.report_dir / "repro-normgrad";
  std::filesystem::create_directories(dir);
  const TrainedModel trained = train_in_memory(config, splits, 0, dir / "cnn.pt", context);
  const data::LabeledTensors test = data::as_tensors(splits.test);

  const Identities identities = check_identities(*trained.model, test.features.narrow(0, 0, 8), test.targets.narrow(0, 0, 8));
  outcome.record(kNormGradIdentity, fmt::format("largest relative difference {:.2e}", identities.normgrad_relative),
                 identities.normgrad_relative <= kIdentityTolerance);
  outcome.record(kSumIdentity,
                 fmt::format("diagonal vs scaling + sum {:.2e}, sum vs (sum a)(sum g) {:.2e}; conv1x1 + sum vs scaling + sum differ by {:.2f} "
                             "of scaling's largest value",
                             identities.trace_gap, identities.sum_gap, identities.sum_vs_scaling),
                 identities.trace_gap <= kExactTolerance && identities.sum_gap <= kExactTolerance);

  const HitRates rates = pointing_game(*trained.model, splits.test, boxes);
  const double random = saliency::random_pointing_rate(kCanvas, kCanvas, boxes, kTolerance);
  const double last = rates.normgrad.at(kLastBlock);
  outcome.record(kNormGradPoints, fmt::format("NormGrad at {} {:.3f}; random {:.3f}", kLastBlock, last, random),
                 last >= kHitRate && last >= random + kAboveRandom);
  const double cam_first = rates.grad_cam.at(kFirstBlock), cam_last = rates.grad_cam.at(kLastBlock);
  outcome.record(kGradCamDegrades, fmt::format("Grad-CAM at {} {:.3f}, at {} {:.3f}", kFirstBlock, cam_first, kLastBlock, cam_last),
                 cam_first <= cam_last - kGradCamDrop);
  const double normgrad_first = rates.normgrad.at(kFirstBlock);
  outcome.record(kNormGradHolds, fmt::format("NormGrad at {} {:.3f}, Grad-CAM {:.3f}", kFirstBlock, normgrad_first, cam_first),
                 normgrad_first >= cam_first + kNormGradLead);

  std::string table = "| layer | map size | NormGrad | Grad-CAM |\n|---|---|---|---|\n";
  const std::map<std::string, std::string> sizes = {{"conv1", "52x52"}, {"pool1", "26x26"}, {"conv2", "22x22"}, {"pool2", "11x11"}};
  for (const auto& name : kLayers) table += fmt::format("| {} | {} | {:.3f} | {:.3f} |\n", name, sizes.at(name), rates.normgrad.at(name), rates.grad_cam.at(name));
  table += fmt::format("| product of the four | 56x56 | {:.3f} | {:.3f} |\n", rates.normgrad_combined, rates.grad_cam_combined);
  outcome.details_markdown = fmt::format(
      "Data: {} training and {} test Fashion-MNIST items (28x28), each pasted (pixel-wise maximum) at a uniform position of a {}x{} "
      "canvas of uniform noise in [0, {}]; the object's box is the item's pixels above {}. Model: descent's CNN (conv 5x5 -> 16, pool, "
      "conv 5x5 -> 32, pool, linear), SGD momentum 0.9, lr 0.02, batch 64, 4 epochs: test accuracy {:.3f}. Maps are for the true class, "
      "upsampled bilinearly to 56x56 and min-max normalized (their Extract_Aggregate); a map hits when its maximum lies within {:.2f} "
      "pixels of the box (TorchRay's 15 pixels at 224, scaled). A uniformly random point hits {:.3f} of the time.\n\n{}\n"
      "Input gradient |d s / dx| (summed over channels): {:.3f}; gradient x input: {:.3f}.\n\n"
      "The specs' acceptance 2 says conv1x1 + sum equals scaling + sum. It does not: the conv1x1 virtual layer's weight gradient "
      "at u is the outer product a_u g_u^T (their vgg16_grid_saliency.py builds it so), whose entries sum to (sum a)(sum g); scaling "
      "+ sum is its trace, sum_c a_c g_c. Check 2 tests both true identities and the measured gap is printed.\n\n"
      "Reading check 4: Grad-CAM loses {:.3f} of hit rate from {} to {} and {:.3f} from {} to conv1, while NormGrad gains; Grad-CAM "
      "stays {:.3f} above the random rate at {}. The 0.2 drop was fixed before the first run; on this canvas the task is easy "
      "(the plain input gradient hits {:.3f}), and this network has two blocks, so {} is one block from the end, where VGG16's "
      "first map in their grid (features.13) is three pooling stages from its last. The degradation the paper names is there; "
      "'fails' at the margin stated is not, at this depth.\n\n"
      "What the scale keeps: Grad-CAM's channel weights average the gradient over the map, which at an early layer with generic local "
      "features (edges of the noise as much as of the object) discards where the class evidence is; NormGrad keeps the gradient's "
      "magnitude per location. What it cannot show: VGG16/ResNet50 depth, natural images with clutter, and the paper's "
      "class-sensitivity and meta-learned saliency.",
      kTrainImages, kTestImages, kCanvas, kCanvas, kNoise, kObjectThreshold, trained.summary.at("final_test_accuracy"), kTolerance, random, table,
      rates.input_gradient, rates.gradient_times_input, cam_last - cam_first, kLastBlock, kFirstBlock, cam_last - rates.grad_cam.at("conv1"),
      kLastBlock, cam_first - random, kFirstBlock, rates.input_gradient, kFirstBlock);
  return outcome;
}

}  // namespace

Experiment normgrad_experiment() {
  return {"normgrad",
          "Rebuffi, Fong, Ji & Vedaldi, There and Back Again: Revisiting Backpropagation Saliency Methods (CVPR 2020)",
          "NormGrad (conv1x1 + norm) localizes the object at every layer; Grad-CAM fails anywhere besides the last convolutional layer",
          {kNormGradIdentity, kSumIdentity, kNormGradPoints, kGradCamDegrades, kNormGradHolds},
          "under a minute",
          Budget::full,
          run_normgrad};
}

}  // namespace descent::repro
