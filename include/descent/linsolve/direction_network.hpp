// The learned part of the deep conjugate direction method (Kaneda et al., ICML 2023): a small
// convolutional network that maps a normalized residual on the Poisson grid to a search direction,
// trained without solutions by the scale-invariant loss
//   L(theta) = mean_b || b - A q (q.b) / (q.A q) ||^2,   q = f_theta(b),
// the residual left by the best step along q (zero exactly when q is parallel to A^-1 b). The
// paper's network is 3-D (16 filters, residual blocks, one pooling level, a final linear layer);
// this is its 2-D analogue for an n x n grid: a 3x3 convolution to `channels`, `blocks` residual
// blocks of two 3x3 convolutions with ReLU, one average-pool / upsample level, a linear 1x1 output.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "descent/linsolve/conjugate_directions.hpp"

namespace descent::linsolve {

// The problem on tensors: values on the unknowns <-> the grid (zeros in solid cells), and A
// applied on the grid by the same 5-point stencil (walls Dirichlet, solid faces Neumann).
class GridOperator {
public:
  explicit GridOperator(const PoissonProblem& problem);
  torch::Tensor to_grid(const torch::Tensor& unknowns) const;  // batch x unknowns -> batch x 1 x n x n
  torch::Tensor to_unknowns(const torch::Tensor& grid) const;  // the inverse on fluid cells
  torch::Tensor apply(const torch::Tensor& grid) const;        // A q on the grid, batch x 1 x n x n

private:
  std::int64_t side_;
  torch::Tensor fluid_, diagonal_, index_;  // 1 x 1 x n x n masks; the fluid cells' flat indices
};

class DirectionNetworkImpl : public torch::nn::Module {
public:
  DirectionNetworkImpl(std::int64_t channels, std::int64_t blocks);
  torch::Tensor forward(const torch::Tensor& grid);  // batch x 1 x n x n -> the same shape

private:
  torch::nn::Conv2d input_{nullptr}, output_{nullptr};
  std::vector<std::pair<torch::nn::Conv2d, torch::nn::Conv2d>> blocks_, coarse_blocks_;
};
TORCH_MODULE(DirectionNetwork);

// mean_b || b - A q (q.b) / (q.A q) ||^2 over a batch of right-hand sides (on the grid).
torch::Tensor scale_invariant_loss(const GridOperator& a, const torch::Tensor& b, const torch::Tensor& q);

// The network as a DCDM direction model (double precision, no gradient), its output on the
// unknowns.
DirectionModel as_direction_model(DirectionNetwork& network, const GridOperator& a);

}  // namespace descent::linsolve
