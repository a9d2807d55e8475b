#include "descent/icl/attention_svm.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "descent/core/rng.hpp"
#include "descent/optim/buffer_optimizer.hpp"

namespace descent::icl {
namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// vec(W) row-major (index r d + c), the layout of the constraint rows, and back.
Eigen::VectorXd flatten(const Eigen::MatrixXd& m) {
  const RowMajor rows = m;
  return Eigen::Map<const Eigen::VectorXd>(rows.data(), rows.size());
}
Eigen::MatrixXd unflatten(const Eigen::VectorXd& v) {
  const auto d = static_cast<Eigen::Index>(std::lround(std::sqrt(static_cast<double>(v.size()))));
  return Eigen::Map<const RowMajor>(v.data(), d, d);
}

Eigen::VectorXd unit_normal(Rng& rng, int size) {
  Eigen::VectorXd v(size);
  for (int i = 0; i < size; ++i) v(i) = rng.normal();
  return v / v.norm();
}

Eigen::VectorXd softmax(const Eigen::VectorXd& scores) {
  const Eigen::VectorXd e = (scores.array() - scores.maxCoeff()).exp();
  return e / e.sum();
}

// sigma(-m) = 1 / (1 + e^m), stably.
double sigmoid_of_negative(double m) { return m >= 0 ? std::exp(-m) / (1 + std::exp(-m)) : 1 / (1 + std::exp(m)); }

std::span<double> span_of(Eigen::MatrixXd& m) { return {m.data(), static_cast<std::size_t>(m.size())}; }
std::span<const double> span_of(const Eigen::MatrixXd& m) { return {m.data(), static_cast<std::size_t>(m.size())}; }

}  // namespace

AttentionData attention_data(int sequences, int tokens, int dimension, std::uint64_t seed) {
  Rng rng(seed);
  AttentionData data;
  data.head = unit_normal(rng, dimension);
  data.labels.resize(sequences);
  for (int i = 0; i < sequences; ++i) data.labels(i) = rng.normal() > 0 ? 1.0 : -1.0;
  for (int i = 0; i < sequences; ++i) {
    Eigen::MatrixXd x(tokens, dimension);
    for (int t = 0; t < tokens; ++t) x.row(t) = unit_normal(rng, dimension).transpose();
    data.tokens.push_back(x);
  }
  data.queries.resize(sequences, dimension);
  for (int i = 0; i < sequences; ++i) data.queries.row(i) = unit_normal(rng, dimension).transpose();
  return data;
}

Eigen::MatrixXd attention_probabilities(const AttentionData& data, const Eigen::MatrixXd& w) {
  const auto n = static_cast<Eigen::Index>(data.tokens.size());
  Eigen::MatrixXd p(n, data.tokens.front().rows());
  for (Eigen::Index i = 0; i < n; ++i) p.row(i) = softmax(data.tokens[i] * (w * data.queries.row(i).transpose())).transpose();
  return p;
}

Eigen::VectorXd attention_outputs(const AttentionData& data, const Eigen::MatrixXd& w) {
  const Eigen::MatrixXd p = attention_probabilities(data, w);
  Eigen::VectorXd out(p.rows());
  for (Eigen::Index i = 0; i < p.rows(); ++i) out(i) = p.row(i).dot(data.tokens[i] * data.head);
  return out;
}

double attention_loss(const AttentionData& data, const Eigen::MatrixXd& w) {
  const Eigen::VectorXd margin = data.labels.cwiseProduct(attention_outputs(data, w));
  double loss = 0;
  for (Eigen::Index i = 0; i < margin.size(); ++i) loss += std::max(0.0, -margin(i)) + std::log1p(std::exp(-std::abs(margin(i))));
  return loss / static_cast<double>(margin.size());
}

// With a_t = x_t.v, f = sum_t p_t a_t and s_t = x_t^T W z: df/ds_t = p_t (a_t - f), ds_t/dW = x_t z^T.
// PyTorch's softmax backward (p * (g - sum(p g))) forms a_t - f as a difference; see below.
Eigen::MatrixXd attention_loss_gradient(const AttentionData& data, const Eigen::MatrixXd& w) {
  const Eigen::MatrixXd p = attention_probabilities(data, w);
  const auto n = static_cast<double>(data.tokens.size());
  Eigen::MatrixXd gradient = Eigen::MatrixXd::Zero(w.rows(), w.cols());
  for (std::size_t i = 0; i < data.tokens.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    const Eigen::VectorXd values = data.tokens[i] * data.head;
    const double out = p.row(row).dot(values);
    const double dloss_dout = -data.labels(row) * sigmoid_of_negative(data.labels(row) * out) / n;
    // df/ds_t = p_t (a_t - f) with a_t - f = sum_s p_s (a_t - a_s): once attention saturates
    // (p_alpha = 1 - eps, eps below 1e-16) a_t - f computed as a difference is rounding noise of
    // 1e-16 while its value is of order eps, and that noise then sets normalized GD's direction.
    Eigen::VectorXd dout_dscores(values.size());
    for (Eigen::Index t = 0; t < values.size(); ++t) {
      dout_dscores(t) = p(row, t) * (p.row(row).transpose().array() * (values(t) - values.array())).sum();
    }
    gradient += dloss_dout * (data.tokens[i].transpose() * dout_dscores) * data.queries.row(row);
  }
  return gradient;
}

std::vector<int> selected_tokens(const AttentionData& data, const Eigen::MatrixXd& w) {
  const Eigen::MatrixXd p = attention_probabilities(data, w);
  std::vector<int> selected;
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    Eigen::Index best = 0;
    p.row(i).maxCoeff(&best);
    selected.push_back(static_cast<int>(best));
  }
  return selected;
}

std::vector<Eigen::MatrixXd> train_attention_w(const AttentionData& data, Eigen::MatrixXd initial, double lr, int iterations) {
  optim::BufferOptimizer<double> optimizer("normalized_gd", {{"lr", lr}}, {span_of(initial)});
  std::vector<Eigen::MatrixXd> iterates;
  for (int k = 0; k < iterations; ++k) {
    const Eigen::MatrixXd gradient = attention_loss_gradient(data, initial);
    optimizer.step({span_of(gradient)});
    iterates.push_back(initial);
  }
  return iterates;
}

// W = K^T Q: dL/dK = Q G^T and dL/dQ = K G for G = dL/dW; the ridge adds 2 ridge K and 2 ridge Q.
std::vector<Eigen::MatrixXd> train_attention_kq(const AttentionData& data, Eigen::MatrixXd key, Eigen::MatrixXd query, double lr,
                                                int iterations, double ridge) {
  optim::BufferOptimizer<double> key_step("normalized_gd", {{"lr", lr}}, {span_of(key)});
  optim::BufferOptimizer<double> query_step("normalized_gd", {{"lr", lr}}, {span_of(query)});
  std::vector<Eigen::MatrixXd> iterates;
  for (int k = 0; k < iterations; ++k) {
    const Eigen::MatrixXd g = attention_loss_gradient(data, key.transpose() * query);
    const Eigen::MatrixXd key_gradient = query * g.transpose() + 2 * ridge * key;
    const Eigen::MatrixXd query_gradient = key * g + 2 * ridge * query;
    key_step.step({span_of(key_gradient)});
    query_step.step({span_of(query_gradient)});
    iterates.push_back(key.transpose() * query);
  }
  return iterates;
}

Eigen::MatrixXd svm_constraints(const AttentionData& data, const std::vector<int>& selected) {
  const Eigen::Index d = data.dimension(), tokens = data.tokens.front().rows();
  Eigen::MatrixXd a(static_cast<Eigen::Index>(data.tokens.size()) * (tokens - 1), d * d);
  Eigen::Index row = 0;
  for (std::size_t i = 0; i < data.tokens.size(); ++i) {
    const Eigen::MatrixXd& x = data.tokens[i];
    for (Eigen::Index t = 0; t < tokens; ++t) {
      if (t == selected[i]) continue;
      a.row(row++) = flatten((x.row(t) - x.row(selected[i])).transpose() * data.queries.row(static_cast<Eigen::Index>(i))).transpose();
    }
  }
  return a;
}

NonnegativeQp solve_nonnegative_qp_active_set(const Eigen::MatrixXd& g, const Eigen::VectorXd& b) {
  const Eigen::Index m = b.size();
  NonnegativeQp result;
  Eigen::VectorXd& l = result.solution;
  l = Eigen::VectorXd::Zero(m);
  std::vector<bool> free(static_cast<std::size_t>(m), false);
  const double tolerance = 1e-12 * std::max(1.0, b.cwiseAbs().maxCoeff());
  // The equality-constrained minimizer over the free set (zero elsewhere).
  const auto solve_free = [&] {
    std::vector<Eigen::Index> index;
    for (Eigen::Index k = 0; k < m; ++k) {
      if (free[static_cast<std::size_t>(k)]) index.push_back(k);
    }
    Eigen::MatrixXd sub(index.size(), index.size());
    Eigen::VectorXd rhs(index.size());
    for (std::size_t r = 0; r < index.size(); ++r) {
      rhs(static_cast<Eigen::Index>(r)) = b(index[r]);
      for (std::size_t c = 0; c < index.size(); ++c) sub(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = g(index[r], index[c]);
    }
    const Eigen::VectorXd local = sub.ldlt().solve(rhs);
    Eigen::VectorXd s = Eigen::VectorXd::Zero(m);
    for (std::size_t r = 0; r < index.size(); ++r) s(index[r]) = local(static_cast<Eigen::Index>(r));
    return s;
  };
  for (int outer = 0; outer < 10 * static_cast<int>(m) + 10; ++outer) {
    const Eigen::VectorXd descent = b - g * l;  // the negative gradient
    Eigen::Index entering = -1;
    double steepest = tolerance;
    for (Eigen::Index k = 0; k < m; ++k) {
      if (!free[static_cast<std::size_t>(k)] && descent(k) > steepest) steepest = descent(k), entering = k;
    }
    if (entering < 0) break;  // KKT holds: every bound variable's gradient is nonnegative
    free[static_cast<std::size_t>(entering)] = true;
    for (;;) {
      ++result.iterations;
      const Eigen::VectorXd s = solve_free();
      bool positive = true;
      for (Eigen::Index k = 0; k < m; ++k) positive = positive && (!free[static_cast<std::size_t>(k)] || s(k) > 0);
      if (positive) {
        l = s;
        break;
      }
      // Step toward s until the first free variable reaches zero, and bind it.
      double step = 1.0;
      for (Eigen::Index k = 0; k < m; ++k) {
        if (free[static_cast<std::size_t>(k)] && s(k) <= 0) step = std::min(step, l(k) / (l(k) - s(k)));
      }
      l += step * (s - l);
      for (Eigen::Index k = 0; k < m; ++k) {
        if (free[static_cast<std::size_t>(k)] && l(k) <= 1e-15) free[static_cast<std::size_t>(k)] = false, l(k) = 0;
      }
    }
  }
  return result;
}

namespace {
double qp_kkt_residual(const Eigen::MatrixXd& g, const Eigen::VectorXd& b, const Eigen::VectorXd& l) {
  const Eigen::VectorXd gradient = g * l - b;
  double worst = 0;
  for (Eigen::Index k = 0; k < l.size(); ++k) worst = std::max(worst, std::abs(std::min(gradient(k), l(k))));  // min(grad, l) = 0
  return worst;
}
}  // namespace

NonnegativeQp solve_nonnegative_qp_coordinate_descent(const Eigen::MatrixXd& g, const Eigen::VectorXd& b, double tolerance,
                                                      int max_sweeps) {
  NonnegativeQp result;
  Eigen::VectorXd& l = result.solution;
  l = Eigen::VectorXd::Zero(b.size());
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    ++result.iterations;
    for (Eigen::Index k = 0; k < l.size(); ++k) l(k) = std::max(0.0, l(k) - (g.row(k).dot(l) - b(k)) / g(k, k));
    if (qp_kkt_residual(g, b, l) < tolerance) break;
  }
  return result;
}

SvmSolution frobenius_svm(const Eigen::MatrixXd& constraints, bool active_set) {
  const Eigen::MatrixXd gram = constraints * constraints.transpose();
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(constraints.rows());
  SvmSolution solution;
  solution.multipliers = active_set ? solve_nonnegative_qp_active_set(gram, ones).solution
                                    : solve_nonnegative_qp_coordinate_descent(gram, ones, 1e-13, 1000000).solution;
  solution.w = unflatten(-constraints.transpose() * solution.multipliers);
  return solution;
}

double frobenius_svm_kkt_residual(const Eigen::MatrixXd& constraints, const SvmSolution& solution) {
  const Eigen::VectorXd flat = flatten(solution.w);
  const Eigen::VectorXd slack = constraints * flat + Eigen::VectorXd::Ones(constraints.rows());  // <= 0 when feasible
  double worst = (flat + constraints.transpose() * solution.multipliers).cwiseAbs().maxCoeff();  // stationarity
  for (Eigen::Index k = 0; k < slack.size(); ++k) {
    worst = std::max({worst, slack(k), -solution.multipliers(k), std::abs(solution.multipliers(k) * slack(k))});
  }
  return worst;
}

NuclearSvmSolution nuclear_svm(const Eigen::MatrixXd& constraints, std::int64_t dimension, double rho, int max_iterations, double tolerance) {
  const auto d = static_cast<Eigen::Index>(dimension);
  const Eigen::MatrixXd gram = constraints * constraints.transpose();
  // Projection onto {A vec(W) <= -1}: W = P - A^T mu with mu = argmin 1/2 mu^T G mu - (A p + 1)^T mu.
  const auto project = [&](const Eigen::MatrixXd& point) {
    const Eigen::VectorXd p = flatten(point);
    const Eigen::VectorXd b = constraints * p + Eigen::VectorXd::Ones(constraints.rows());
    return unflatten(p - constraints.transpose() * solve_nonnegative_qp_active_set(gram, b).solution);
  };
  const auto threshold = [&](const Eigen::MatrixXd& m) {
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeFullU | Eigen::ComputeFullV);
    const Eigen::VectorXd shrunk = (svd.singularValues().array() - 1.0 / rho).max(0.0);
    return Eigen::MatrixXd(svd.matrixU() * shrunk.asDiagonal() * svd.matrixV().transpose());
  };
  NuclearSvmSolution result;
  Eigen::MatrixXd v = Eigen::MatrixXd::Zero(d, d), u = Eigen::MatrixXd::Zero(d, d), w = v;
  for (int k = 0; k < max_iterations; ++k) {
    result.iterations = k + 1;
    w = project(v - u);
    const Eigen::MatrixXd previous = v;
    v = threshold(w + u);
    u += w - v;
    const double scale = std::max(1.0, w.norm());
    result.residual = (w - v).norm();
    if (result.residual < tolerance * scale && rho * (v - previous).norm() < tolerance * scale) break;
  }
  result.w = w;  // feasible by construction (the projection's output)
  return result;
}

double matrix_correlation(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return (a.array() * b.array()).sum() / (a.norm() * b.norm()); }

}  // namespace descent::icl
