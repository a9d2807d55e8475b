// Weight matching (Ainsworth, Hayase & Srinivasa, "Git Re-Basin: Merging Models modulo Permutation
// Symmetries", ICLR 2023; analysed by Ito, Yamada & Kumagai, "Analysis of Linear Mode Connectivity
// via Permutation-Based Weight Matching", ICLR 2025). Permuting the units of a hidden layer, with
// the rows of its weights and bias and the matching columns of the next layer, leaves the network's
// function unchanged. Weight matching picks, for model B, the permutations that bring its weights
// closest to model A's: coordinate ascent on sum_l <W_a^l, P_l W_b^l P_(l-1)^T> (as git-re-basin's
// weight_matching.py): each sweep visits the permutations in a fresh random order and solves, for
// permutation p with every other one fixed, the linear assignment maximizing
//   sum over the (parameter, axis) pairs p acts on of  W_a(axis first) . W_b~(axis first)^T,
// W_b~ being B's parameter with all other permutations applied; biases enter as outer products.
// It stops after a sweep that improves no permutation by more than 1e-12, or after max_sweeps.
// Also here: the loss barrier along the straight line between two parameter vectors, and the
// singular-value views of Ito et al. (a permutation moves singular vectors, never singular values).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace descent::models {
struct Model;
}
namespace descent::data {
struct LabeledTensors;
}

namespace descent::matching {

using NamedParameters = std::map<std::string, torch::Tensor>;

// One axis of one parameter that a permutation acts on. `block` > 1 views the axis as
// (units, block) and moves whole blocks: the linear layer after a convolution reads each channel
// as height x width consecutive inputs.
struct PermutedAxis {
  std::string parameter;
  std::int64_t axis = 0;
  std::int64_t block = 1;
};

struct Permutation {
  std::string name;  // the hidden layer it permutes (fc1, conv2, ...)
  std::int64_t size = 0;
  std::vector<PermutedAxis> axes;
};

using PermutationSpec = std::vector<Permutation>;
using Permutations = std::vector<std::vector<std::int64_t>>;  // one per Permutation: new unit i = old unit p[i]

// The permutation symmetries of descent's MLP (one per hidden layer) and CNN (conv1's and conv2's
// channels). Throws ConfigError for other models and for an MLP with batch normalization (its
// running statistics would have to move too).
PermutationSpec permutation_spec(const models::Model& model);

NamedParameters named_parameters(const models::Model& model);  // detached copies
void load_parameters(models::Model& model, const NamedParameters& parameters);

NamedParameters apply_permutations(const PermutationSpec& spec, const NamedParameters& parameters, const Permutations& permutations);
Permutations identity_permutations(const PermutationSpec& spec);

struct WeightMatchingResult {
  Permutations permutations;
  std::vector<double> objective;  // sum_l <W_a, P W_b> after each sweep (the first entry: before any)
  std::int64_t sweeps = 0;
};

// Permutations of B's units that maximize its inner product with A. `seed` orders the visits.
WeightMatchingResult weight_matching(const PermutationSpec& spec, const NamedParameters& a, const NamedParameters& b, std::uint64_t seed,
                                     std::int64_t max_sweeps = 100);

// sum over parameters of <a, b>, and the l2 distance ||a - b||.
double inner_product(const NamedParameters& a, const NamedParameters& b);
double distance(const NamedParameters& a, const NamedParameters& b);

struct PathPoint {
  double lambda = 0.0, loss = 0.0, accuracy = 0.0;
};

struct Barrier {
  std::vector<PathPoint> path;  // lambda = 0 (A) .. 1 (B)
  double loss = 0.0;            // max_lambda loss(lambda) - ((1 - lambda) loss(0) + lambda loss(1))
  double accuracy = 0.0;        // max_lambda ((1 - lambda) acc(0) + lambda acc(1)) - acc(lambda)
};

// Evaluates (1 - lambda) a + lambda b at `points` equally spaced lambdas in [0, 1], loading each
// into `model` and calling `evaluate` (loss, accuracy). Restores nothing: `model` ends holding b.
Barrier linear_path_barrier(models::Model& model, const NamedParameters& a, const NamedParameters& b, std::int64_t points,
                            const std::function<std::pair<double, double>(models::Model&)>& evaluate);

// Mean cross-entropy and accuracy of `model` on a classification split: the usual `evaluate`.
std::pair<double, double> cross_entropy_and_accuracy(models::Model& model, const data::LabeledTensors& split);

// The weight matrices of a spec's layers (2-D weights as they are; convolutions as out x (in*k*k)).
std::vector<std::string> weight_names(const PermutationSpec& spec, const NamedParameters& parameters);
torch::Tensor as_matrix(const torch::Tensor& weight);

// sum_{i <= top} s_i |u_a,i . u_b,i| |v_a,i . v_b,i| / sum_{i <= top} s_i, with A's singular
// values s_i: how well B's leading singular directions line up with A's, 1 when they coincide
// (the specs' weighted form; Ito et al. state their alignment measure differently).
double singular_vector_alignment(const torch::Tensor& weight_a, const torch::Tensor& weight_b, std::int64_t top);

}  // namespace descent::matching
