#include "descent/diag/coordinate_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "descent/core/error.hpp"
#include "descent/core/least_squares.hpp"
#include "descent/models/models.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "descent/models/learning_rate_groups.hpp"

namespace descent::diag {
namespace {

// The traced layers, then the output under the name "output", detached.
std::vector<torch::Tensor> activations(models::Model& model, const torch::Tensor& x, std::vector<std::string>* names = nullptr) {
  torch::NoGradGuard no_grad;
  models::LayerTrace trace = model.trace(x);
  trace.record("output", trace.output);
  if (names) *names = trace.names;
  return trace.activations;
}

double mean_abs(const torch::Tensor& t) { return t.abs().mean().item<double>(); }

}  // namespace

double CoordinateCheck::slope(const std::string& layer, std::int64_t step) const {
  const auto found = std::find(layers.begin(), layers.end(), layer);
  if (found == layers.end()) throw ConfigError(fmt::format("coordinate check: no layer '{}'", layer));
  const auto l = static_cast<std::size_t>(found - layers.begin());
  std::vector<double> xs, ys;
  for (std::size_t w = 0; w < widths.size(); ++w) {
    xs.push_back(std::log(static_cast<double>(widths[w])));
    ys.push_back(std::log(change[w][l].at(static_cast<std::size_t>(step - 1))));
  }
  return least_squares_slope(xs, ys);
}

CoordinateCheck coordinate_check(const ModelOfWidth& model_of_width, const torch::Tensor& x, const torch::Tensor& y,
                                 const CoordinateCheckOptions& options) {
  if (options.widths.empty() || options.steps < 1 || options.seeds < 1) {
    throw ConfigError(fmt::format("coordinate check: {} widths, {} steps, {} seeds (each must be positive)", options.widths.size(),
                                  options.steps, options.seeds));
  }
  CoordinateCheck check;
  check.widths = options.widths;
  for (const std::int64_t width : options.widths) {
    std::vector<std::vector<double>> change;
    std::vector<double> size;
    for (std::int64_t seed = 0; seed < options.seeds; ++seed) {
      torch::manual_seed(static_cast<std::uint64_t>(seed * 1000003 + width));
      const std::shared_ptr<models::Model> model = model_of_width(width);
      const std::vector<torch::Tensor> initial = activations(*model, x, &check.layers);
      if (change.empty()) change.assign(initial.size(), std::vector<double>(static_cast<std::size_t>(options.steps), 0.0));
      if (size.empty()) size.assign(initial.size(), 0.0);
      for (std::size_t l = 0; l < initial.size(); ++l) size[l] += mean_abs(initial[l]) / static_cast<double>(options.seeds);
      optim::Optimizer optimizer(options.optimizer, options.hyper, models::learning_rate_groups(*model, options.optimizer, options.hyper));
      for (std::int64_t step = 0; step < options.steps; ++step) {
        optimizer.zero_grad();
        torch::nn::functional::cross_entropy(model->forward(x), y).backward();
        optimizer.step();
        const std::vector<torch::Tensor> now = activations(*model, x);
        for (std::size_t l = 0; l < now.size(); ++l) {
          change[l][static_cast<std::size_t>(step)] += mean_abs(now[l] - initial[l]) / static_cast<double>(options.seeds);
        }
      }
    }
    check.change.push_back(change);
    check.size.push_back(size);
  }
  return check;
}

}  // namespace descent::diag
