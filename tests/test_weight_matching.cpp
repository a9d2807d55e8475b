// Weight matching on descent's MLP and CNN: permutations keep the function and the singular
// values, matching recovers a known permutation exactly with a non-decreasing objective, one
// hidden layer converges in one sweep (git-re-basin's test_weight_matching), and the barrier
// follows its definition.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/matching/weight_matching.hpp"
#include "descent/models/models.hpp"

namespace descent::matching {
namespace {

Permutations random_permutations(const PermutationSpec& spec, std::uint64_t seed) {
  Rng rng(seed);
  Permutations out = identity_permutations(spec);
  for (auto& order : out) {
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  }
  return out;
}

std::shared_ptr<models::Mlp> mlp(std::vector<std::int64_t> hidden, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto model = std::make_shared<models::Mlp>(7, hidden, 3, "relu");
  model->to(torch::kFloat64);
  return model;
}

TEST(WeightMatching, PermutationsKeepTheFunctionAndTheSpectrum) {
  torch::manual_seed(1);
  auto cnn = std::make_shared<models::Cnn>(std::vector<std::int64_t>{1, 28, 28}, 10);
  cnn->to(torch::kFloat64);
  const torch::Tensor images = torch::randn({4, 1, 28, 28}, torch::kFloat64);
  const auto net = mlp({9, 8, 6}, 2);
  for (models::Model* model : {static_cast<models::Model*>(net.get()), static_cast<models::Model*>(cnn.get())}) {
    const bool is_cnn = model == cnn.get();
    const torch::Tensor x = is_cnn ? images : torch::randn({5, 7}, torch::kFloat64);
    const PermutationSpec spec = permutation_spec(*model);
    const NamedParameters original = named_parameters(*model);
    const NamedParameters moved = apply_permutations(spec, original, random_permutations(spec, 3));
    const torch::Tensor before = model->forward(x).detach();
    load_parameters(*model, moved);
    EXPECT_TRUE(torch::allclose(model->forward(x), before, 0.0, 1e-12)) << is_cnn;
    EXPECT_FALSE(torch::equal(moved.at(spec.front().axes.front().parameter), original.at(spec.front().axes.front().parameter)));
    for (const std::string& name : weight_names(spec, original)) {
      EXPECT_TRUE(torch::allclose(torch::linalg_svdvals(as_matrix(moved.at(name))), torch::linalg_svdvals(as_matrix(original.at(name))), 1e-12, 1e-12))
          << name;
    }
  }
  EXPECT_THROW(permutation_spec(models::Mlp(3, {4}, 2, "relu", true)), ConfigError);
}

TEST(WeightMatching, RecoversAKnownPermutation) {
  const auto model = mlp({12, 10, 8}, 4);
  const PermutationSpec spec = permutation_spec(*model);
  const NamedParameters a = named_parameters(*model);
  const NamedParameters b = apply_permutations(spec, a, random_permutations(spec, 5));
  const WeightMatchingResult result = weight_matching(spec, a, b, 6);
  const NamedParameters matched = apply_permutations(spec, b, result.permutations);
  for (const auto& [name, tensor] : a) EXPECT_TRUE(torch::equal(matched.at(name), tensor)) << name;
  EXPECT_NEAR(distance(a, matched), 0.0, 1e-15);
  EXPECT_TRUE(std::is_sorted(result.objective.begin(), result.objective.end()));
  EXPECT_NEAR(result.objective.back(), inner_product(a, a), 1e-9);
}

// One permutation: the first sweep solves it exactly, the second finds nothing to improve.
TEST(WeightMatching, OneHiddenLayerConvergesInOneSweep) {
  const NamedParameters a = named_parameters(*mlp({10}, 7)), b = named_parameters(*mlp({10}, 8));
  const PermutationSpec spec = permutation_spec(*mlp({10}, 7));
  const WeightMatchingResult result = weight_matching(spec, a, b, 9);
  EXPECT_EQ(result.sweeps, 2);
  ASSERT_EQ(result.objective.size(), 3u);
  EXPECT_GT(result.objective[1], result.objective[0]);
  EXPECT_EQ(result.objective[2], result.objective[1]);
  EXPECT_THROW(weight_matching(spec, a, named_parameters(*mlp({11}, 8)), 9), ConfigError);
}

// With loss = -||theta||^2 the path from a to -a bulges by ||a||^2 at lambda = 1/2 above the chord
// (both ends at -||a||^2); the accuracy barrier with accuracy = lambda-independent 1 is 0.
TEST(WeightMatching, BarrierFollowsItsDefinition) {
  const auto model = mlp({4}, 10);
  const NamedParameters a = named_parameters(*model);
  NamedParameters minus_a;
  for (const auto& [name, tensor] : a) minus_a[name] = -tensor;
  const auto evaluate = [](models::Model& m) {
    double squared = 0.0;
    for (const auto& p : m.parameters()) squared += p.pow(2).sum().item<double>();
    return std::pair{-squared, 1.0};
  };
  const Barrier barrier = linear_path_barrier(*model, a, minus_a, 5, evaluate);
  EXPECT_NEAR(barrier.loss, inner_product(a, a), 1e-9);
  EXPECT_EQ(barrier.accuracy, 0.0);
  EXPECT_EQ(barrier.path.size(), 5u);
  EXPECT_THROW(linear_path_barrier(*model, a, minus_a, 1, evaluate), ConfigError);
}

TEST(WeightMatching, SingularVectorAlignment) {
  torch::manual_seed(12);
  const torch::Tensor w = torch::randn({6, 5}, torch::kFloat64);
  EXPECT_NEAR(singular_vector_alignment(w, w, 3), 1.0, 1e-12);
  EXPECT_NEAR(singular_vector_alignment(w, -w, 3), 1.0, 1e-12);  // signs of singular vectors are arbitrary
  EXPECT_LT(singular_vector_alignment(w, w.index_select(0, torch::tensor({5, 4, 3, 2, 1, 0})), 3), 1.0);
}

}  // namespace
}  // namespace descent::matching
