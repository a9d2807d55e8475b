#include "descent/kernels/infinite_depth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "descent/core/error.hpp"

namespace descent::kernels {
namespace {

double clip(double rho) { return std::clamp(rho, -1.0, 1.0); }

double dot(const double* a, const double* b, std::int64_t dimension) {
  double sum = 0.0;
  for (std::int64_t k = 0; k < dimension; ++k) sum += a[k] * b[k];
  return sum;
}

std::int64_t rows_of(std::span<const double> points, std::int64_t dimension, const char* what) {
  if (dimension < 1 || points.size() % static_cast<std::size_t>(dimension) != 0) {
    throw ConfigError(fmt::format("infinite-depth kernels: {} has {} values, not a multiple of the dimension {}", what, points.size(), dimension));
  }
  return static_cast<std::int64_t>(points.size()) / dimension;
}

double squared_distance(const double* a, const double* b, std::int64_t dimension) {
  double sum = 0.0;
  for (std::int64_t k = 0; k < dimension; ++k) sum += (a[k] - b[k]) * (a[k] - b[k]);
  return sum;
}

double sign_of(double value) { return value >= 0.0 ? 1.0 : -1.0; }

}  // namespace

NormalizedDual hermite_dual(std::vector<double> coefficients, std::string name) {
  const double total = std::accumulate(coefficients.begin(), coefficients.end(), 0.0);
  const bool negative = std::any_of(coefficients.begin(), coefficients.end(), [](double c) { return !(c >= 0.0); });
  if (coefficients.empty() || negative || std::abs(total - 1.0) > 1e-12) {
    throw ConfigError(fmt::format("dual activation '{}': squared Hermite coefficients must be non-negative and sum to 1 (sum {})", name, total));
  }
  auto value = [coefficients](double rho) {
    double sum = 0.0;
    for (std::size_t k = coefficients.size(); k-- > 0;) sum = sum * rho + coefficients[k];  // Horner
    return sum;
  };
  auto derivative = [coefficients](double rho) {
    double sum = 0.0;
    for (std::size_t k = coefficients.size(); k-- > 1;) sum = sum * rho + static_cast<double>(k) * coefficients[k];
    return sum;
  };
  return {std::move(name), value, derivative, std::move(coefficients)};
}

NormalizedDual relu_normalized_dual() {
  return {"relu", [](double rho) { return (std::sqrt(std::max(0.0, 1.0 - rho * rho)) + (M_PI - std::acos(clip(rho))) * rho) / M_PI; },
          [](double rho) { return (M_PI - std::acos(clip(rho))) / M_PI; }};
}

NormalizedDual sine_normalized_dual(double a) {
  if (!(a > 0.0)) throw ConfigError(fmt::format("dual activation sine_{}: the frequency must be positive", a));
  const double scale = std::sinh(a);
  return {fmt::format("sine_{:g}", a), [a, scale](double rho) { return std::sinh(a * rho) / scale; },
          [a, scale](double rho) { return a * std::cosh(a * rho) / scale; }};
}

NormalizedDual normalized_dual(const std::string& name) {
  if (name == "relu") return relu_normalized_dual();
  if (name == "2d_opt") return hermite_dual({0, 0.5, 0, 0, 0, 0, 0, 0.5}, name);
  if (name == "3d_opt") return hermite_dual({0, 0.5, 0, 0.5}, name);
  if (name == "5d_opt") return hermite_dual({0, 0.25, 0.5, 0.25}, name);
  const auto number_after = [&](const std::string& prefix) -> std::optional<double> {
    if (name.rfind(prefix, 0) != 0) return std::nullopt;
    try {
      std::size_t used = 0;
      const double value = std::stod(name.substr(prefix.size()), &used);
      if (used == name.size() - prefix.size()) return value;
    } catch (const std::exception&) {
    }
    return std::nullopt;
  };
  if (const auto a = number_after("sine_")) return sine_normalized_dual(*a);
  if (const auto k = number_after("hermite_"); k && *k >= 1 && *k <= 64 && *k == std::floor(*k)) {
    std::vector<double> coefficients(static_cast<std::size_t>(*k) + 1, 0.0);
    coefficients.back() = 1.0;
    return hermite_dual(coefficients, name);
  }
  throw ConfigError(fmt::format("unknown dual activation '{}' (relu, sine_<a>, hermite_<k>, 2d_opt, 3d_opt, 5d_opt)", name));
}

DeepLimitRule deep_limit(const NormalizedDual& dual) {
  const double at_zero = dual.derivative(0.0), at_one = dual.derivative(1.0);
  if (std::abs(at_one - 1.0) < 1e-12) return {DeepLimit::majority_vote, 0.0};
  if (at_one > 1.0 && at_zero == 0.0) return {DeepLimit::nearest_neighbour, 0.0};
  if (at_one > 1.0 && at_zero > 0.0 && at_zero < 1.0) return {DeepLimit::singular_kernel, 2.0 * std::log(1.0 / at_zero) / std::log(at_one)};
  return {DeepLimit::none, 0.0};
}

DeepKernels deep_kernels(const NormalizedDual& dual, std::span<const double> a, std::span<const double> b, std::int64_t dimension,
                         std::int64_t depth) {
  if (depth < 0) throw ConfigError(fmt::format("infinite-depth kernels: depth {} (must be non-negative)", depth));
  const std::int64_t rows = rows_of(a, dimension, "the first point set"), columns = rows_of(b, dimension, "the second point set");
  const bool same = a.data() == b.data() && a.size() == b.size();
  DeepKernels kernels;
  kernels.nngp.resize(static_cast<std::size_t>(rows * columns));
  kernels.ntk.resize(kernels.nngp.size());
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < columns; ++j) {
      double rho = same && i == j ? 1.0 : clip(dot(a.data() + i * dimension, b.data() + j * dimension, dimension));
      double ntk = rho;
      for (std::int64_t l = 0; l < depth; ++l) {
        const double next = dual.value(rho);
        ntk = next + ntk * dual.derivative(rho);
        rho = next;
      }
      kernels.nngp[static_cast<std::size_t>(i * columns + j)] = rho;
      kernels.ntk[static_cast<std::size_t>(i * columns + j)] = ntk;
    }
  }
  return kernels;
}

std::vector<double> log_deep_nngp(const NormalizedDual& dual, std::span<const double> correlations, std::int64_t depth) {
  if (dual.polynomial.empty()) throw ConfigError(fmt::format("log_deep_nngp: dual activation '{}' is not a polynomial", dual.name));
  if (depth < 0) throw ConfigError(fmt::format("log_deep_nngp: depth {} (must be non-negative)", depth));
  std::vector<double> logs;
  logs.reserve(correlations.size());
  for (const double rho : correlations) {
    if (!(rho >= 0.0)) throw ConfigError(fmt::format("log_deep_nngp: correlation {} (must be non-negative)", rho));
    double s = std::log(std::min(rho, 1.0));
    for (std::int64_t l = 0; l < depth && std::isfinite(s); ++l) {
      // log sum_k c_k exp(k s), the largest term factored out.
      double largest = -std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < dual.polynomial.size(); ++k) {
        if (dual.polynomial[k] > 0.0) largest = std::max(largest, std::log(dual.polynomial[k]) + static_cast<double>(k) * s);
      }
      double sum = 0.0;
      for (std::size_t k = 0; k < dual.polynomial.size(); ++k) {
        if (dual.polynomial[k] > 0.0) sum += std::exp(std::log(dual.polynomial[k]) + static_cast<double>(k) * s - largest);
      }
      s = largest + std::log(sum);
    }
    logs.push_back(s);
  }
  return logs;
}

std::vector<double> majority_vote(std::span<const double> labels, std::int64_t test_count) {
  const double sum = std::accumulate(labels.begin(), labels.end(), 0.0);
  return std::vector<double>(static_cast<std::size_t>(test_count), sign_of(sum));
}

std::vector<double> nearest_neighbour_classifier(std::span<const double> train, std::span<const double> labels,
                                                 std::span<const double> test, std::int64_t dimension) {
  const std::int64_t n = rows_of(train, dimension, "the training points"), m = rows_of(test, dimension, "the test points");
  std::vector<double> out(static_cast<std::size_t>(m));
  for (std::int64_t t = 0; t < m; ++t) {
    double best = std::numeric_limits<double>::infinity();
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = squared_distance(test.data() + t * dimension, train.data() + i * dimension, dimension);
      if (d < best) {
        best = d;
        out[static_cast<std::size_t>(t)] = labels[static_cast<std::size_t>(i)];
      }
    }
  }
  return out;
}

std::vector<double> singular_kernel_classifier(std::span<const double> train, std::span<const double> labels,
                                               std::span<const double> test, std::int64_t dimension, double alpha) {
  const std::int64_t n = rows_of(train, dimension, "the training points"), m = rows_of(test, dimension, "the test points");
  std::vector<double> out(static_cast<std::size_t>(m));
  for (std::int64_t t = 0; t < m; ++t) {
    double sum = 0.0;
    bool on_a_training_point = false;
    for (std::int64_t i = 0; i < n && !on_a_training_point; ++i) {
      const double d2 = squared_distance(test.data() + t * dimension, train.data() + i * dimension, dimension);
      if (d2 == 0.0) {
        on_a_training_point = true;
        sum = labels[static_cast<std::size_t>(i)];
      } else {
        sum += labels[static_cast<std::size_t>(i)] * std::pow(d2, -alpha / 2.0);
      }
    }
    out[static_cast<std::size_t>(t)] = sign_of(sum);
  }
  return out;
}

}  // namespace descent::kernels
