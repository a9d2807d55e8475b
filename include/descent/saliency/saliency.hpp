// Saliency: which parts of an input (or of a layer's activation) a class score depends on.
//   - input gradient d s_c / dx and gradient x input (Simonyan et al., 2014; Shrikumar et al., 2017);
//   - Grad-CAM (Selvaraju et al., ICCV 2017): ReLU(sum_k a_k(u) mean_u' g_k(u')), at any layer;
//   - NormGrad (Rebuffi, Fong, Ji & Vedaldi, "There and Back Again: Revisiting Backpropagation
//     Saliency Methods", CVPR 2020): the gradient of the class score with respect to the weights of
//     a virtual identity layer inserted at a location u, aggregated over its entries. Phase 1, the
//     virtual layer:  scaling  a_u (.) g_u       conv1x1  a_u g_u^T
//                     conv3x3  unfold3x3(a)_u g_u^T    bias  g_u
//     Phase 2, the aggregation: norm ||.||_2, filter_norm ||max(., 0)||_2, sum, max.
//     NormGrad proper is conv1x1 + norm: S(u) = ||a_u||_2 ||g_u||_2.
// g is the gradient of the raw class score (the logit, before softmax), as the reference code's
// -(-score) sign convention works out. Maps from several layers are brought to the input's size
// by bilinear upsampling, min-max normalized per map and multiplied.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "descent/models/models.hpp"

namespace descent::saliency {

// d logit_{classes[i]}(x_i) / d x_i for each example: x's shape. The model's mode is the caller's
// (in training mode, batch norm couples the examples); its parameters' gradients are untouched.
torch::Tensor logit_gradient(models::Model& model, const torch::Tensor& x, const torch::Tensor& classes);

// x (.) d logit / dx.
torch::Tensor gradient_times_input(models::Model& model, const torch::Tensor& x, const torch::Tensor& classes);

// A layer's activation and the class score's gradient with respect to it, both {B, C, H, W}
// (a fully connected layer's {B, C} is seen as {B, C, 1, 1}).
struct LayerGradient {
  std::string layer;
  torch::Tensor activation, gradient;
};

// One forward and one backward pass for all of `layers` (names from Model::trace; an unknown name
// throws ConfigError listing the model's).
std::vector<LayerGradient> layer_gradients(models::Model& model, const torch::Tensor& x, const torch::Tensor& classes,
                                           const std::vector<std::string>& layers);

enum class VirtualIdentity { scaling, conv1x1, conv3x3, bias };
enum class Aggregation { norm, filter_norm, sum, max };

// The virtual identity layer's weight gradient at every location, entries along dimension 1:
// {B, K, H, W} with K = C (scaling, bias), C^2 (conv1x1) or 9C^2 (conv3x3, zero-padded).
torch::Tensor virtual_identity_gradient(const LayerGradient& layer, VirtualIdentity identity);

// Phase 2 over dimension 1 of a {B, K, H, W} tensor: {B, H, W}.
torch::Tensor aggregate(const torch::Tensor& entries, Aggregation aggregation);

// NormGrad's map at the layer's resolution, {B, H, W}; examples are processed one at a time, so
// conv3x3's 9C^2 entries per location never exist for the whole batch at once.
torch::Tensor normgrad(const LayerGradient& layer, VirtualIdentity identity = VirtualIdentity::conv1x1,
                       Aggregation aggregation = Aggregation::norm);

// Grad-CAM's map at the layer's resolution, {B, H, W}.
torch::Tensor grad_cam(const LayerGradient& layer);

// Bilinear upsampling of {B, h, w} maps to {B, height, width} (align_corners false, as
// F.interpolate's default), each map then scaled to [0, 1] by its own minimum and maximum (a
// constant map becomes 0).
torch::Tensor upsample_normalized(const torch::Tensor& maps, std::int64_t height, std::int64_t width);

// The product of several layers' maps, each upsampled and normalized to {height, width} first.
torch::Tensor combine(const std::vector<torch::Tensor>& maps, std::int64_t height, std::int64_t width);

}  // namespace descent::saliency
