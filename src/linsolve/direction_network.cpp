#include "descent/linsolve/direction_network.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"

namespace descent::linsolve {
namespace {

namespace F = torch::nn::functional;

// Sum of the four neighbours' values, zero beyond the walls.
torch::Tensor neighbour_sum(const torch::Tensor& grid) {
  const torch::Tensor kernel = torch::tensor({0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0}, grid.options()).reshape({1, 1, 3, 3});
  return F::conv2d(grid, kernel, F::Conv2dFuncOptions().padding(1));
}

torch::nn::Conv2d conv3x3(std::int64_t in, std::int64_t out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)); }

}  // namespace

GridOperator::GridOperator(const PoissonProblem& problem) : side_(problem.side) {
  std::vector<double> fluid(problem.unknown_of_cell.size());
  std::vector<std::int64_t> index;
  for (std::size_t c = 0; c < fluid.size(); ++c) {
    fluid[c] = problem.unknown_of_cell[c] >= 0 ? 1.0 : 0.0;
    if (problem.unknown_of_cell[c] >= 0) index.push_back(static_cast<std::int64_t>(c));
  }
  fluid_ = torch::tensor(fluid, torch::kFloat64).reshape({1, 1, side_, side_});
  // A fluid cell's diagonal: 4 minus its solid neighbours (a wall or a fluid neighbour adds 1 each).
  diagonal_ = (4.0 - neighbour_sum(1.0 - fluid_) ) * fluid_;
  index_ = torch::tensor(index, torch::kInt64);
}

torch::Tensor GridOperator::to_grid(const torch::Tensor& unknowns) const {
  torch::Tensor flat = torch::zeros({unknowns.size(0), side_ * side_}, unknowns.options());
  flat.index_copy_(1, index_, unknowns);
  return flat.reshape({unknowns.size(0), 1, side_, side_});
}

torch::Tensor GridOperator::to_unknowns(const torch::Tensor& grid) const { return grid.reshape({grid.size(0), side_ * side_}).index_select(1, index_); }

torch::Tensor GridOperator::apply(const torch::Tensor& grid) const {
  const torch::Tensor fluid = fluid_.to(grid.scalar_type()), diagonal = diagonal_.to(grid.scalar_type());
  const torch::Tensor q = grid * fluid;
  return (diagonal * q - neighbour_sum(q)) * fluid;
}

DirectionNetworkImpl::DirectionNetworkImpl(std::int64_t channels, std::int64_t blocks) {
  if (channels < 1 || blocks < 0) throw ConfigError(fmt::format("direction network: {} channels, {} blocks", channels, blocks));
  input_ = register_module("input", conv3x3(1, channels));
  for (std::int64_t b = 0; b < blocks; ++b) {
    blocks_.emplace_back(register_module(fmt::format("block{}a", b), conv3x3(channels, channels)),
                         register_module(fmt::format("block{}b", b), conv3x3(channels, channels)));
    coarse_blocks_.emplace_back(register_module(fmt::format("coarse{}a", b), conv3x3(channels, channels)),
                                register_module(fmt::format("coarse{}b", b), conv3x3(channels, channels)));
  }
  output_ = register_module("output", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 1, 1)));
}

torch::Tensor DirectionNetworkImpl::forward(const torch::Tensor& grid) {
  const auto residual_blocks = [](torch::Tensor h, std::vector<std::pair<torch::nn::Conv2d, torch::nn::Conv2d>>& blocks) {
    for (auto& [first, second] : blocks) h = h + second->forward(torch::relu(first->forward(torch::relu(h))));
    return h;
  };
  const torch::Tensor fine = residual_blocks(input_->forward(grid), blocks_);
  // One coarse level: average-pool by 2, the same kind of blocks, upsample back and add.
  const torch::Tensor coarse = residual_blocks(F::avg_pool2d(fine, F::AvgPool2dFuncOptions(2)), coarse_blocks_);
  const torch::Tensor up = F::interpolate(coarse, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{grid.size(2), grid.size(3)}).mode(torch::kNearest));
  return output_->forward(fine + up);
}

torch::Tensor scale_invariant_loss(const GridOperator& a, const torch::Tensor& b, const torch::Tensor& q) {
  const torch::Tensor aq = a.apply(q);
  const torch::Tensor step = (q * b).sum({1, 2, 3}, true) / (q * aq).sum({1, 2, 3}, true);
  return (b - aq * step).pow(2).sum({1, 2, 3}).mean();
}

DirectionModel as_direction_model(DirectionNetwork& network, const GridOperator& a) {
  return [&network, &a](const std::vector<double>& r) {
    torch::NoGradGuard no_grad;
    const torch::Tensor unknowns = torch::tensor(r, torch::kFloat64).unsqueeze(0);
    const torch::Tensor q = a.to_unknowns(network->forward(a.to_grid(unknowns)));
    return std::vector<double>(q.data_ptr<double>(), q.data_ptr<double>() + q.numel());
  };
}

}  // namespace descent::linsolve
