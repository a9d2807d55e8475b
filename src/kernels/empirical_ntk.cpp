#include "descent/kernels/empirical_ntk.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "descent/core/error.hpp"
#include "descent/models/models.hpp"

namespace descent::kernels {
namespace {

std::int64_t parameter_count(models::Model& model) {
  std::int64_t count = 0;
  for (const auto& p : model.parameters()) count += p.numel();
  return count;
}

// Rows per chunk: two chunks (one of x, one of z) within the byte budget.
std::int64_t rows_per_chunk(models::Model& model, const EmpiricalNtkOptions& options) {
  const std::int64_t row_bytes = parameter_count(model) * static_cast<std::int64_t>(model.parameters().front().element_size());
  return std::max<std::int64_t>(1, options.chunk_bytes / (2 * row_bytes));
}

void check_inputs(const torch::Tensor& x, const torch::Tensor& z) {
  if (x.dim() < 1 || z.dim() < 1 || x.sizes().slice(1) != z.sizes().slice(1)) {
    throw ConfigError(fmt::format("empirical NTK: samples of shapes {} and {} differ", fmt::join(x.sizes(), "x"), fmt::join(z.sizes(), "x")));
  }
}

torch::Tensor block(const torch::Tensor& left, const torch::Tensor& right) {
  return torch::matmul(left, right.t()).to(torch::kFloat64);
}

}  // namespace

torch::Tensor jacobian_rows(models::Model& model, const torch::Tensor& x, std::int64_t output) {
  const std::vector<torch::Tensor> parameters = model.parameters();
  torch::Tensor rows = torch::empty({x.size(0), parameter_count(model)}, parameters.front().options());
  for (std::int64_t i = 0; i < x.size(0); ++i) {
    const torch::Tensor outputs = model.forward(x.slice(0, i, i + 1)).reshape({-1});
    if (output < 0 || output >= outputs.numel()) {
      throw ConfigError(fmt::format("empirical NTK: output {} of a model with {} outputs", output, outputs.numel()));
    }
    const auto gradients = torch::autograd::grad({outputs[output]}, parameters, {}, false, false, true);
    std::int64_t offset = 0;
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      const std::int64_t size = parameters[k].numel();
      auto row = rows[i].slice(0, offset, offset + size);
      if (gradients[k].defined()) {
        row.copy_(gradients[k].reshape({-1}));
      } else {
        row.zero_();  // the output does not depend on this parameter
      }
      offset += size;
    }
  }
  return rows;
}

torch::Tensor empirical_ntk(models::Model& model, const torch::Tensor& x, const torch::Tensor& z, const EmpiricalNtkOptions& options) {
  check_inputs(x, z);
  const std::int64_t chunk = rows_per_chunk(model, options);
  torch::Tensor kernel = torch::empty({x.size(0), z.size(0)}, torch::kFloat64);
  for (std::int64_t a = 0; a < x.size(0); a += chunk) {
    const std::int64_t a_end = std::min(a + chunk, x.size(0));
    const torch::Tensor left = jacobian_rows(model, x.slice(0, a, a_end), options.output);
    for (std::int64_t b = 0; b < z.size(0); b += chunk) {
      const std::int64_t b_end = std::min(b + chunk, z.size(0));
      kernel.slice(0, a, a_end).slice(1, b, b_end).copy_(block(left, jacobian_rows(model, z.slice(0, b, b_end), options.output)));
    }
  }
  return kernel;
}

torch::Tensor empirical_ntk(models::Model& model, const torch::Tensor& x, const EmpiricalNtkOptions& options) {
  check_inputs(x, x);
  const std::int64_t chunk = rows_per_chunk(model, options), n = x.size(0);
  torch::Tensor kernel = torch::empty({n, n}, torch::kFloat64);
  for (std::int64_t a = 0; a < n; a += chunk) {
    const std::int64_t a_end = std::min(a + chunk, n);
    const torch::Tensor left = jacobian_rows(model, x.slice(0, a, a_end), options.output);
    kernel.slice(0, a, a_end).slice(1, a, a_end).copy_(block(left, left));
    for (std::int64_t b = a_end; b < n; b += chunk) {
      const std::int64_t b_end = std::min(b + chunk, n);
      const torch::Tensor cross = block(left, jacobian_rows(model, x.slice(0, b, b_end), options.output));
      kernel.slice(0, a, a_end).slice(1, b, b_end).copy_(cross);
      kernel.slice(0, b, b_end).slice(1, a, a_end).copy_(cross.t());
    }
  }
  return kernel;
}

}  // namespace descent::kernels
