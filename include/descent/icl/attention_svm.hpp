// Attention as a max-margin token selector: Tarzanagh, Li, Thrampoulidis & Oymak, "Transformers as
// Support Vector Machines" (NeurIPS 2023 / arXiv 2308.16898). One attention layer with a fixed head
//     f(X) = v^T X^T softmax(X W z)     (score of token t: x_t^T W z)
// trained on the logistic loss, in the W parameterization or as W = K^T Q, by normalized gradient
// descent, converges in direction to the solution of the attention SVM
//     min ||W||  s.t.  (x_{i t} - x_{i alpha_i})^T W z_i <= -1  for all t != alpha_i and all i,
// with the Frobenius norm for W and the nuclear norm for (K, Q); alpha_i is the token the model ends
// up selecting. The data follow the official notebook (umich-sota/TF-as-SVM, local_converge.ipynb):
// unit-norm tokens x_{it} and cross-attention queries z_i, a unit head v, labels +-1.
// Matrices are d x d; vec(W) is row-major (index r d + c), matching the constraint rows below.
#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <vector>

namespace descent::icl {

struct AttentionData {
  std::vector<Eigen::MatrixXd> tokens;  // n sequences of {T, d}, rows of unit norm
  Eigen::MatrixXd queries;              // {n, d}: z_i, unit norm
  Eigen::VectorXd head;                 // v, unit norm
  Eigen::VectorXd labels;               // {n}, +-1

  std::int64_t dimension() const { return head.size(); }
};

AttentionData attention_data(int sequences, int tokens, int dimension, std::uint64_t seed);

// Softmax attention probabilities {n, T} and outputs {n} for the matrix W.
Eigen::MatrixXd attention_probabilities(const AttentionData& data, const Eigen::MatrixXd& w);
Eigen::VectorXd attention_outputs(const AttentionData& data, const Eigen::MatrixXd& w);

// Mean logistic loss log(1 + exp(-y_i f(X_i))) and its gradient in W.
double attention_loss(const AttentionData& data, const Eigen::MatrixXd& w);
Eigen::MatrixXd attention_loss_gradient(const AttentionData& data, const Eigen::MatrixXd& w);

// The token each sequence attends to most.
std::vector<int> selected_tokens(const AttentionData& data, const Eigen::MatrixXd& w);

// Normalized gradient descent (descent's `normalized_gd`) from `initial`: W, or K and Q each with
// its own gradient normalized and a tiny ridge `ridge` (||K||^2 + ||Q||^2), as the notebook does.
// Returns the iterate W (for K, Q: K^T Q) after each step.
std::vector<Eigen::MatrixXd> train_attention_w(const AttentionData& data, Eigen::MatrixXd initial, double lr, int iterations);
std::vector<Eigen::MatrixXd> train_attention_kq(const AttentionData& data, Eigen::MatrixXd key, Eigen::MatrixXd query, double lr,
                                                int iterations, double ridge);

// The rows vec((x_{it} - x_{i alpha_i}) z_i^T), one per constraint <row, vec(W)> <= -1.
Eigen::MatrixXd svm_constraints(const AttentionData& data, const std::vector<int>& selected);

// min 1/2 l^T G l - b^T l over l >= 0 for positive definite G.
struct NonnegativeQp {
  Eigen::VectorXd solution;
  int iterations = 0;
};
// The Lawson-Hanson active-set method: exact up to rounding, finitely many steps.
NonnegativeQp solve_nonnegative_qp_active_set(const Eigen::MatrixXd& g, const Eigen::VectorXd& b);
// Projected Gauss-Seidel (cyclic coordinate descent), until the KKT residual is below `tolerance`.
NonnegativeQp solve_nonnegative_qp_coordinate_descent(const Eigen::MatrixXd& g, const Eigen::VectorXd& b, double tolerance,
                                                      int max_sweeps);

// The Frobenius attention SVM through its dual: W = -sum_k l_k A_k, l = argmin 1/2 l^T (A A^T) l - 1^T l.
struct SvmSolution {
  Eigen::MatrixXd w;
  Eigen::VectorXd multipliers;
};
SvmSolution frobenius_svm(const Eigen::MatrixXd& constraints, bool active_set = true);

// The largest violation of the KKT conditions of the Frobenius SVM: primal feasibility, dual
// feasibility, complementary slackness and stationarity.
double frobenius_svm_kkt_residual(const Eigen::MatrixXd& constraints, const SvmSolution& solution);

// min ||W||_* over the same constraints, by ADMM (W in the constraint set, V = W carrying the
// nuclear norm through singular-value thresholding, the projection a nonnegative QP).
struct NuclearSvmSolution {
  Eigen::MatrixXd w;
  int iterations = 0;
  double residual = 0.0;  // ||W - V||_F at the end
};
NuclearSvmSolution nuclear_svm(const Eigen::MatrixXd& constraints, std::int64_t dimension, double rho, int max_iterations, double tolerance);

// <A, B> / (||A||_F ||B||_F).
double matrix_correlation(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

}  // namespace descent::icl
