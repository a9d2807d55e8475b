#include "descent/diag/spectrum.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <cmath>

#include "descent/core/error.hpp"

namespace descent::diag {
namespace {

torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.reshape(-1).to(torch::kFloat64));
  return torch::cat(flat);
}

torch::Tensor random_unit(std::int64_t n, std::uint64_t seed) {
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  torch::Tensor v = torch::randn({n}, generator, torch::TensorOptions().dtype(torch::kFloat64));
  return v / v.norm();
}

torch::Tensor rademacher(std::int64_t n, torch::Generator& generator) {
  return torch::randint(0, 2, {n}, generator, torch::TensorOptions().dtype(torch::kFloat64)) * 2 - 1;
}

struct Tridiagonal {
  std::vector<double> alpha, beta;  // diagonal, off-diagonal
};

// m steps of Lanczos from the unit vector q, with full reorthogonalization against all earlier
// vectors (the stored basis is small: m <= a few hundred).
Tridiagonal lanczos_steps(const Operator& op, torch::Tensor q, int m) {
  Tridiagonal t;
  std::vector<torch::Tensor> basis = {q};
  for (int j = 0; j < m; ++j) {
    torch::Tensor w = op(basis.back());
    const double a = w.dot(basis.back()).item<double>();
    t.alpha.push_back(a);
    for (int pass = 0; pass < 2; ++pass) {  // twice is enough (Kahan's "twice is enough")
      for (const auto& b : basis) w -= w.dot(b) * b;
    }
    const double norm = w.norm().item<double>();
    if (j + 1 == m || norm < 1e-12) break;  // an invariant subspace: the spectrum there is exact
    t.beta.push_back(norm);
    basis.push_back(w / norm);
  }
  return t;
}

Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solve(const Tridiagonal& t) {
  const auto m = static_cast<Eigen::Index>(t.alpha.size());
  Eigen::MatrixXd matrix = Eigen::MatrixXd::Zero(m, m);
  for (Eigen::Index i = 0; i < m; ++i) {
    matrix(i, i) = t.alpha[static_cast<std::size_t>(i)];
    if (i + 1 < m) matrix(i, i + 1) = matrix(i + 1, i) = t.beta[static_cast<std::size_t>(i)];
  }
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(matrix);
}

[[noreturn]] void throw_without_double_backward(const std::string& reason) {
  throw Error(ExitCode::runtime_failure,
              fmt::format("Hessian-vector products (the sharpness probe, `descent diagnose`) need double backward "
                          "through the model, and this model cannot provide it: {}",
                          reason));
}

// Autograd with a clear message where the model cannot give what it asks: a module whose ops lack a
// derivative of their backward (a TorchScript module using grid_sample, say) cannot give
// Hessian-vector products, and LibTorch's own error is one line inside a C++ backtrace.
std::vector<torch::Tensor> gradients(const torch::Tensor& of, const std::vector<torch::Tensor>& wrt, bool create_graph) {
  try {
    std::vector<torch::Tensor> result = torch::autograd::grad({of}, wrt, {}, /*retain_graph=*/true, create_graph, /*allow_unused=*/true);
    for (std::size_t i = 0; i < wrt.size(); ++i) {
      if (!result[i].defined()) result[i] = torch::zeros_like(wrt[i]);  // a parameter the loss does not use
    }
    return result;
  } catch (const c10::Error& error) {
    throw_without_double_backward(error.what_without_backtrace());
  } catch (const std::runtime_error& error) {  // the autograd engine's own "derivative for ... is not implemented"
    throw_without_double_backward(error.what());
  }
}

}  // namespace

HessianOperator::HessianOperator(models::Model& model, const torch::Tensor& x, const torch::Tensor& y, bool classification) {
  for (const auto& p : model.parameters()) {
    parameters_.push_back(p);
    dimension_ += p.numel();
  }
  namespace F = torch::nn::functional;
  const torch::Tensor output = model.forward(x);
  const torch::Tensor loss = classification ? F::cross_entropy(output, y.dim() == 2 ? y.reshape(-1) : y) : F::mse_loss(output, y);
  gradients_ = gradients(loss, parameters_, /*create_graph=*/true);
}

torch::Tensor HessianOperator::apply(const torch::Tensor& v) {
  ++products_;
  torch::Tensor product = torch::zeros({}, torch::kFloat64);
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const std::int64_t size = parameters_[i].numel();
    const torch::Tensor piece = v.slice(0, offset, offset + size).view(parameters_[i].sizes()).to(gradients_[i].scalar_type());
    product = product + (gradients_[i] * piece).sum().to(torch::kFloat64);
    offset += size;
  }
  // A gradient that does not depend on the parameters at all (every op linear in them) has H = 0.
  if (!product.requires_grad()) return torch::zeros({dimension_}, torch::kFloat64);
  return flatten(gradients(product, parameters_, /*create_graph=*/false));
}

Operator HessianOperator::as_operator() {
  return [this](const torch::Tensor& v) { return apply(v); };
}

torch::Tensor HessianOperator::gradient() const {
  std::vector<torch::Tensor> detached;
  for (const auto& g : gradients_) detached.push_back(g.detach());
  return flatten(detached);
}

LanczosResult lanczos(const Operator& op, std::int64_t n, int k, int iterations, std::uint64_t seed) {
  const Tridiagonal t = lanczos_steps(op, random_unit(n, seed), std::min<std::int64_t>(iterations, n));
  const auto solver = solve(t);
  LanczosResult result;
  result.iterations = static_cast<int>(t.alpha.size());
  const auto& values = solver.eigenvalues();  // ascending
  for (Eigen::Index i = values.size() - 1; i >= 0 && static_cast<int>(result.eigenvalues.size()) < k; --i) {
    result.eigenvalues.push_back(values(i));
  }
  return result;
}

std::pair<double, int> power_iteration(const Operator& op, std::int64_t n, int max_iterations, double tolerance, std::uint64_t seed) {
  torch::Tensor v = random_unit(n, seed);
  double estimate = 0.0;
  for (int i = 1; i <= max_iterations; ++i) {
    const torch::Tensor w = op(v);
    const double rayleigh = w.dot(v).item<double>();
    const double norm = w.norm().item<double>();
    if (norm == 0.0) return {0.0, i};
    v = w / norm;
    if (i > 1 && std::abs(rayleigh - estimate) <= tolerance * std::abs(rayleigh)) return {rayleigh, i};
    estimate = rayleigh;
  }
  return {estimate, max_iterations};
}

TraceEstimate hutchinson_trace(const Operator& op, std::int64_t n, int samples, std::uint64_t seed) {
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  std::vector<double> values;
  for (int s = 0; s < samples; ++s) {
    const torch::Tensor z = rademacher(n, generator);
    values.push_back(op(z).dot(z).item<double>());
  }
  double mean = 0.0;
  for (const double v : values) mean += v / samples;
  double variance = 0.0;
  for (const double v : values) variance += (v - mean) * (v - mean) / std::max(1, samples - 1);
  return {mean, std::sqrt(variance / samples)};
}

SpectralDensity spectral_density(const Operator& op, std::int64_t n, int probes, int iterations, std::uint64_t seed) {
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  SpectralDensity density;
  for (int p = 0; p < probes; ++p) {
    torch::Tensor z = rademacher(n, generator);
    const auto solver = solve(lanczos_steps(op, z / z.norm(), std::min<std::int64_t>(iterations, n)));
    for (Eigen::Index j = 0; j < solver.eigenvalues().size(); ++j) {
      density.nodes.push_back(solver.eigenvalues()(j));
      const double first = solver.eigenvectors()(0, j);
      density.weights.push_back(first * first / probes);
    }
  }
  return density;
}

LanczosResult preconditioned_lanczos(const Operator& hessian, const torch::Tensor& diagonal, int k, int iterations, std::uint64_t seed) {
  const torch::Tensor scale = diagonal.rsqrt();
  const Operator symmetric = [&](const torch::Tensor& v) { return scale * hessian(scale * v); };
  return lanczos(symmetric, diagonal.size(0), k, iterations, seed);
}

}  // namespace descent::diag
