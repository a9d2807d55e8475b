// Input gradients and first-order attacks: gradients against finite differences, FGSM against its
// closed form on a linear model, every attack inside its ball and raising the loss.
#include <gtest/gtest.h>

#include "descent/attack/attacks.hpp"
#include "descent/core/error.hpp"

namespace descent::attack {
namespace {

namespace F = torch::nn::functional;

struct Fixture {
  std::shared_ptr<models::Mlp> model;
  torch::Tensor x, y;
};

// A small float64 MLP (4 -> 8 -> 3) and a batch of 16.
Fixture make_fixture(std::vector<std::int64_t> hidden = {8}) {
  torch::manual_seed(3);
  Fixture f;
  f.model = std::make_shared<models::Mlp>(4, hidden, 3, "tanh");
  f.model->to(torch::kFloat64);
  torch::Generator generator = at::detail::createCPUGenerator(4);
  f.x = torch::randn({16, 4}, generator, torch::kFloat64);
  f.y = torch::randint(0, 3, {16}, generator, torch::kLong);
  return f;
}

double mean_loss(models::Model& model, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  return F::cross_entropy(model.forward(x), y).item<double>();
}

TEST(Attack, InputGradientMatchesFiniteDifferences) {
  Fixture f = make_fixture();
  const torch::Tensor gradient = input_gradient(*f.model, f.x, f.y, true);
  const auto summed = [&](const torch::Tensor& x) {
    torch::NoGradGuard no_grad;
    return F::cross_entropy(f.model->forward(x), f.y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
  };
  constexpr double h = 1e-6;
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 4; ++j) {
      torch::Tensor up = f.x.clone(), down = f.x.clone();
      up[i][j] += h;
      down[i][j] -= h;
      EXPECT_NEAR(gradient[i][j].item<double>(), (summed(up) - summed(down)) / (2 * h), 1e-8) << i << "," << j;
    }
  }
  for (const auto& p : f.model->parameters()) EXPECT_FALSE(p.grad().defined());  // the parameters' gradients untouched
}

// For a linear model with cross-entropy, grad_x loss_i = W^T (softmax(W x_i + b) - e_{y_i}).
TEST(Attack, FgsmMovesEveryCoordinateByEpsAlongTheLossGradient) {
  Fixture f = make_fixture({});
  const torch::Tensor w = f.model->layers[0]->weight, b = f.model->layers[0]->bias;
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor residual = torch::softmax(torch::matmul(f.x, w.t()) + b, 1) - F::one_hot(f.y, 3).to(torch::kFloat64);
    expected = f.x + 0.05 * torch::matmul(residual, w).sign();
  }
  torch::Generator generator = at::detail::createCPUGenerator(5);
  const torch::Tensor attacked = perturb(*f.model, f.x, f.y, true, {.kind = "fgsm", .eps = 0.05}, generator);
  EXPECT_LT((attacked - expected).abs().max().item<double>(), 1e-15);
}

TEST(Attack, EveryAttackStaysInItsBallAndRaisesTheLoss) {
  Fixture f = make_fixture();
  const double clean = mean_loss(*f.model, f.x, f.y);
  for (const auto& [kind, norm] : {std::pair{"fgsm", Norm::linf}, std::pair{"bim", Norm::linf}, std::pair{"pgd", Norm::linf},
                                   std::pair{"pgd", Norm::l2}, std::pair{"mim", Norm::linf}}) {
    const AttackOptions options{.kind = kind, .norm = norm, .eps = 0.3, .step_size = 0.05, .steps = 20};
    torch::Generator generator = at::detail::createCPUGenerator(6);
    const torch::Tensor attacked = perturb(*f.model, f.x, f.y, true, options, generator);
    const torch::Tensor delta = attacked - f.x;
    const double size = norm == Norm::linf ? delta.abs().max().item<double>() : delta.norm(2, 1).max().item<double>();
    EXPECT_LE(size, 0.3 * (1 + 1e-12)) << kind;
    EXPECT_GT(mean_loss(*f.model, attacked, f.y), clean + 0.05) << kind;
  }
  // Iterating beats one step here: PGD's loss is above FGSM's at the same eps.
  torch::Generator generator = at::detail::createCPUGenerator(7);
  const double fgsm = mean_loss(*f.model, perturb(*f.model, f.x, f.y, true, {.kind = "fgsm", .eps = 0.3}, generator), f.y);
  const double pgd = mean_loss(*f.model, perturb(*f.model, f.x, f.y, true, {.kind = "pgd", .eps = 0.3, .step_size = 0.05, .steps = 20}, generator), f.y);
  EXPECT_GE(pgd, fgsm);
}

TEST(Attack, ProjectionKeepsInsidePointsAndClipsTheDomain) {
  torch::Generator generator = at::detail::createCPUGenerator(8);
  const torch::Tensor center = torch::randn({5, 3}, generator, torch::kFloat64);
  const torch::Tensor inside = center + 0.01 * torch::randn({5, 3}, generator, torch::kFloat64);
  EXPECT_TRUE(torch::equal(project(inside, center, Norm::l2, 1.0), inside));
  const torch::Tensor far = center + 10.0;
  EXPECT_NEAR((project(far, center, Norm::l2, 1.0) - center).norm(2, 1).max().item<double>(), 1.0, 1e-12);
  EXPECT_NEAR((project(far, center, Norm::linf, 0.5) - center).abs().max().item<double>(), 0.5, 1e-12);
  Fixture f = make_fixture();
  const torch::Tensor clipped = perturb(*f.model, f.x, f.y, true, {.kind = "pgd", .eps = 5.0, .steps = 3, .clip_min = -1.0, .clip_max = 1.0}, generator);
  EXPECT_LE(clipped.abs().max().item<double>(), 1.0);
}

TEST(Attack, UnknownAttacksAndNormsAreRefusedByName) {
  Fixture f = make_fixture();
  torch::Generator generator = at::detail::createCPUGenerator(9);
  EXPECT_THROW(perturb(*f.model, f.x, f.y, true, {.kind = "cw"}, generator), ConfigError);
  try {
    perturb(*f.model, f.x, f.y, true, {.kind = "mim", .norm = Norm::l2}, generator);
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("'mim' is an L-infinity attack"), std::string::npos);
  }
}

}  // namespace
}  // namespace descent::attack
