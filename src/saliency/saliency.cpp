#include "descent/saliency/saliency.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"

namespace descent::saliency {
namespace {

namespace F = torch::nn::functional;

// sum_i logit_{i, classes[i]}: examples are independent, so its gradient holds each example's own.
torch::Tensor summed_class_scores(const torch::Tensor& output, const torch::Tensor& classes) {
  return output.gather(1, classes.reshape({-1, 1})).sum();
}

torch::Tensor as_feature_map(const torch::Tensor& t) {
  if (t.dim() == 4) return t;
  if (t.dim() == 2) return t.reshape({t.size(0), t.size(1), 1, 1});
  throw ConfigError(fmt::format("saliency: a layer activation of {} dimensions is neither {{B, C}} nor {{B, C, H, W}}", t.dim()));
}

// {C, H, W} x {D, H, W} -> {C * D, H, W}: every product a_c g_d at each location.
torch::Tensor outer_per_location(const torch::Tensor& a, const torch::Tensor& g) {
  return (a.unsqueeze(1) * g.unsqueeze(0)).reshape({a.size(0) * g.size(0), a.size(1), a.size(2)});
}

// One example's virtual-layer entries, {K, H, W}.
torch::Tensor example_entries(const torch::Tensor& a, const torch::Tensor& g, VirtualIdentity identity) {
  switch (identity) {
    case VirtualIdentity::scaling: return a * g;
    case VirtualIdentity::bias: return g;
    case VirtualIdentity::conv1x1: return outer_per_location(a, g);
    case VirtualIdentity::conv3x3: {
      // unfold: {1, 9C, H*W}, the 3x3 neighbourhood of every location (zero outside the map).
      const torch::Tensor patches = F::unfold(a.unsqueeze(0), F::UnfoldFuncOptions({3, 3}).padding(1));
      return outer_per_location(patches.reshape({patches.size(1), a.size(1), a.size(2)}), g);
    }
  }
  throw std::logic_error("unknown virtual identity");
}

}  // namespace

torch::Tensor logit_gradient(models::Model& model, const torch::Tensor& x, const torch::Tensor& classes) {
  torch::AutoGradMode enable(true);
  const torch::Tensor input = x.detach().clone().requires_grad_(true);
  return torch::autograd::grad({summed_class_scores(model.forward(input), classes)}, {input})[0];
}

torch::Tensor gradient_times_input(models::Model& model, const torch::Tensor& x, const torch::Tensor& classes) {
  return x * logit_gradient(model, x, classes);
}

std::vector<LayerGradient> layer_gradients(models::Model& model, const torch::Tensor& x, const torch::Tensor& classes,
                                           const std::vector<std::string>& layers) {
  torch::AutoGradMode enable(true);
  // The input needs a gradient so that the first layer's activation is in the graph even when
  // the parameters are frozen.
  const models::LayerTrace trace = model.trace(x.detach().clone().requires_grad_(true));
  std::vector<torch::Tensor> activations;
  for (const auto& name : layers) activations.push_back(trace.at(name));
  const auto gradients = torch::autograd::grad({summed_class_scores(trace.output, classes)}, activations);
  std::vector<LayerGradient> result;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    result.push_back({layers[k], as_feature_map(activations[k].detach()), as_feature_map(gradients[k])});
  }
  return result;
}

torch::Tensor virtual_identity_gradient(const LayerGradient& layer, VirtualIdentity identity) {
  std::vector<torch::Tensor> examples;
  for (std::int64_t b = 0; b < layer.activation.size(0); ++b) {
    examples.push_back(example_entries(layer.activation[b], layer.gradient[b], identity));
  }
  return torch::stack(examples);
}

torch::Tensor aggregate(const torch::Tensor& entries, Aggregation aggregation) {
  switch (aggregation) {
    case Aggregation::norm: return entries.norm(2, 1);
    case Aggregation::filter_norm: return entries.clamp_min(0).norm(2, 1);
    case Aggregation::sum: return entries.sum(1);
    case Aggregation::max: return std::get<0>(entries.max(1));
  }
  throw std::logic_error("unknown aggregation");
}

torch::Tensor normgrad(const LayerGradient& layer, VirtualIdentity identity, Aggregation aggregation) {
  std::vector<torch::Tensor> maps;
  for (std::int64_t b = 0; b < layer.activation.size(0); ++b) {
    maps.push_back(aggregate(example_entries(layer.activation[b], layer.gradient[b], identity).unsqueeze(0), aggregation)[0]);
  }
  return torch::stack(maps);
}

torch::Tensor grad_cam(const LayerGradient& layer) {
  const torch::Tensor channel_weights = layer.gradient.mean({2, 3}, /*keepdim=*/true);
  return (channel_weights * layer.activation).sum(1).clamp_min(0);
}

torch::Tensor upsample_normalized(const torch::Tensor& maps, std::int64_t height, std::int64_t width) {
  const torch::Tensor upsampled =
      F::interpolate(maps.unsqueeze(1), F::InterpolateFuncOptions().size(std::vector<std::int64_t>{height, width}).mode(torch::kBilinear).align_corners(false))
          .squeeze(1);
  const torch::Tensor flat = upsampled.reshape({maps.size(0), -1});
  const torch::Tensor low = std::get<0>(flat.min(1, true)), high = std::get<0>(flat.max(1, true));
  const torch::Tensor range = high - low;
  return ((flat - low) / torch::where(range > 0, range, torch::ones_like(range))).reshape_as(upsampled);
}

torch::Tensor combine(const std::vector<torch::Tensor>& maps, std::int64_t height, std::int64_t width) {
  if (maps.empty()) throw ConfigError("saliency: combining no maps");
  torch::Tensor product = upsample_normalized(maps.front(), height, width);
  for (std::size_t k = 1; k < maps.size(); ++k) product = product * upsample_normalized(maps[k], height, width);
  return product;
}

}  // namespace descent::saliency
