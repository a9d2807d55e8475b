// The empirical neural tangent kernel of a model at its current parameters (Jacot, Gabriel &
// Hongler 2018): for one output f of the model,
//   Theta(x, z) = sum_p df(x)/dp df(z)/dp,
// from per-example Jacobians (one backward pass per example, as LibTorch has no vmap), held in
// chunks of rows so that a width-4096 network's 3e7 parameters fit in memory: the Jacobian rows of
// a chunk of x against every chunk of z in turn, then the next chunk of x.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace descent::models {
struct Model;
}

namespace descent::kernels {

struct EmpiricalNtkOptions {
  std::int64_t output = 0;                       // which output of the model
  std::int64_t chunk_bytes = std::int64_t{1} << 29;  // the most memory one chunk of Jacobian rows takes
};

// {x.size(0), z.size(0)} in float64. `model` is used as it is (call eval() first for a model with
// batch statistics). Throws ConfigError when x and z differ in sample shape or `output` is out of
// range.
torch::Tensor empirical_ntk(models::Model& model, const torch::Tensor& x, const torch::Tensor& z, const EmpiricalNtkOptions& options = {});
// The Gram matrix Theta(x, x): each chunk pair once, mirrored.
torch::Tensor empirical_ntk(models::Model& model, const torch::Tensor& x, const EmpiricalNtkOptions& options = {});

// The Jacobian of output `output` with respect to every parameter, one flattened row per example of
// x: {x.size(0), number of parameters}, in the parameters' dtype.
torch::Tensor jacobian_rows(models::Model& model, const torch::Tensor& x, std::int64_t output);

}  // namespace descent::kernels
