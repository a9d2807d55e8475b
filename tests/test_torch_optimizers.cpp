// descent's optimizers over LibTorch parameters: against torch::optim, parameter groups, saved
// state, hyperparameter schedules and clipping.
#include <gtest/gtest.h>

#include <sstream>

#include "descent/core/error.hpp"
#include "descent/models/models.hpp"
#include "descent/optim/torch_drop_in.hpp"
#include "descent/optim/torch_optimizers.hpp"

namespace descent::optim {
namespace {

// A small double-precision model and a fixed batch: the loss and gradients are deterministic.
struct Problem {
  std::shared_ptr<models::Model> model;
  torch::Tensor x, y;
  explicit Problem(torch::ScalarType dtype = torch::kFloat64) {
    torch::manual_seed(1);
    model = models::make_model({"mlp", {8}, "tanh"}, {5}, 3);
    model->to(dtype);
    x = torch::randn({16, 5}, dtype);
    y = torch::randint(0, 3, {16});
  }
  torch::Tensor loss() { return torch::nn::functional::cross_entropy(model->forward(x), y); }
};

template <class StepFn>
void train(Problem& problem, int steps, StepFn&& step) {
  for (int t = 0; t < steps; ++t) {
    const torch::Tensor loss = problem.loss();
    loss.backward();
    step(loss.item<double>());
  }
}

std::vector<torch::Tensor> snapshot(Problem& problem) {
  std::vector<torch::Tensor> values;
  for (const auto& p : problem.model->parameters()) values.push_back(p.detach().clone());
  return values;
}

TEST(TorchOptimizer, AdamAndSgdMatchLibTorchInDouble) {
  struct Case {
    std::string name;
    ParamValues hyper;
    std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)> make;
  };
  const std::vector<Case> cases = {
      {"adam", {{"lr", 0.01}, {"weight_decay", 0.01}},
       [](auto p) { return std::make_unique<torch::optim::Adam>(p, torch::optim::AdamOptions(0.01).weight_decay(0.01)); }},
      {"adamw", {{"lr", 0.01}, {"weight_decay", 0.1}},
       [](auto p) { return std::make_unique<torch::optim::AdamW>(p, torch::optim::AdamWOptions(0.01).weight_decay(0.1)); }},
      {"sgd", {{"lr", 0.1}, {"momentum", 0.9}, {"nesterov", 1}},
       [](auto p) { return std::make_unique<torch::optim::SGD>(p, torch::optim::SGDOptions(0.1).momentum(0.9).nesterov(true)); }},
      {"rmsprop", {{"lr", 0.01}, {"centered", 1}, {"momentum", 0.5}},
       [](auto p) { return std::make_unique<torch::optim::RMSprop>(p, torch::optim::RMSpropOptions(0.01).centered(true).momentum(0.5)); }},
      {"adagrad", {{"lr", 0.1}, {"lr_decay", 0.01}},
       [](auto p) { return std::make_unique<torch::optim::Adagrad>(p, torch::optim::AdagradOptions(0.1).lr_decay(0.01)); }},
  };
  for (const auto& c : cases) {
    Problem ours, theirs;
    Optimizer optimizer(c.name, c.hyper, ours.model->named_parameters());
    auto reference = c.make(theirs.model->parameters());
    train(ours, 25, [&](double) { optimizer.step(); optimizer.zero_grad(); });
    train(theirs, 25, [&](double) { reference->step(); reference->zero_grad(); });
    const auto a = snapshot(ours), b = snapshot(theirs);
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_LT((a[i] - b[i]).abs().max().item<double>(), 1e-10) << c.name << " parameter " << i;
    }
  }
}

TEST(TorchOptimizer, GroupsTakeTheirOwnOverrides) {
  Problem problem;
  const auto named = problem.model->named_parameters();
  ParamGroup frozen{{named["fc1.weight"], named["fc1.bias"]}, {"fc1.weight", "fc1.bias"}, {{"lr", 1e-12}}};
  ParamGroup trained{{named["fc2.weight"], named["fc2.bias"]}, {"fc2.weight", "fc2.bias"}, {}};
  const auto before = snapshot(problem);
  Optimizer optimizer("sgd", {{"lr", 0.5}}, {frozen, trained});
  EXPECT_DOUBLE_EQ(optimizer.learning_rate(0), 1e-12);
  EXPECT_DOUBLE_EQ(optimizer.learning_rate(1), 0.5);
  optimizer.set_learning_rate_factor(0.5);
  EXPECT_DOUBLE_EQ(optimizer.learning_rate(1), 0.25);
  train(problem, 3, [&](double) { optimizer.step(); optimizer.zero_grad(); });
  const auto after = snapshot(problem);
  EXPECT_LT((after[0] - before[0]).abs().max().item<double>(), 1e-10);
  EXPECT_GT((after[2] - before[2]).abs().max().item<double>(), 1e-3);

  ParamGroup bad{{named["fc1.weight"]}, {"fc1.weight"}, {{"momentun", 0.9}}};
  try {
    Optimizer("sgd", {}, {bad});
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("no hyperparameter 'momentun' (did you mean 'momentum'?)"), std::string::npos);
  }
  ParamGroup mixed{{named["fc1.weight"], torch::zeros({2}, torch::kFloat32)}, {"a", "b"}, {}};
  EXPECT_THROW(Optimizer("sgd", {}, {mixed}), ConfigError);
}

TEST(TorchOptimizer, SavedStateResumesBitForBit) {
  for (const char* name : {"adam", "adagrad_norm", "lion", "diffgrad", "rmsprop"}) {
    Problem straight(torch::kFloat32), resumed(torch::kFloat32);
    Optimizer straight_optimizer(name, {{"lr", 0.01}}, straight.model->named_parameters());
    train(straight, 20, [&](double loss) { straight_optimizer.step(loss); straight_optimizer.zero_grad(); });

    std::stringstream saved;
    {
      Optimizer first_half(name, {{"lr", 0.01}}, resumed.model->named_parameters());
      train(resumed, 10, [&](double loss) { first_half.step(loss); first_half.zero_grad(); });
      torch::serialize::OutputArchive archive;
      first_half.save(archive);
      archive.save_to(saved);
    }
    Optimizer second_half(name, {{"lr", 0.01}}, resumed.model->named_parameters());
    torch::serialize::InputArchive archive;
    archive.load_from(saved);
    second_half.load(archive);
    EXPECT_EQ(second_half.steps_taken(), 10);
    train(resumed, 10, [&](double loss) { second_half.step(loss); second_half.zero_grad(); });
    const auto a = snapshot(straight), b = snapshot(resumed);
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << name << " parameter " << i;
  }
}

// State saved in the previous layout (optimizer identified by std::hash of its name, slots by
// index) resumes as the current layout does.
TEST(TorchOptimizer, StateOfThePreviousLayoutStillLoads) {
  Problem original, resumed;
  Optimizer adam("adam", {{"lr", 0.01}}, original.model->named_parameters());
  train(original, 3, [&](double) { adam.step(); adam.zero_grad(); });
  torch::serialize::OutputArchive legacy;
  legacy.write("optimizer", torch::tensor(static_cast<std::int64_t>(std::hash<std::string>{}("adam"))));
  legacy.write("step", torch::tensor(adam.steps_taken()));
  legacy.write("group0/scalars", torch::zeros({0}, torch::kFloat64));
  std::size_t offset = 0;
  const torch::Tensor m = adam.flat_state("m"), v = adam.flat_state("v");
  for (const auto& item : original.model->named_parameters()) {
    const std::int64_t n = item.value().numel();
    legacy.write(item.key() + "/0", m.slice(0, offset, offset + n).reshape(item.value().sizes()).clone());
    legacy.write(item.key() + "/1", v.slice(0, offset, offset + n).reshape(item.value().sizes()).clone());
    offset += static_cast<std::size_t>(n);
  }
  std::stringstream bytes;
  legacy.save_to(bytes);
  for (std::size_t i = 0; i < snapshot(original).size(); ++i) {
    torch::NoGradGuard no_grad;
    resumed.model->parameters()[i].copy_(original.model->parameters()[i]);
  }
  Optimizer loaded("adam", {{"lr", 0.01}}, resumed.model->named_parameters());
  torch::serialize::InputArchive input;
  input.load_from(bytes);
  loaded.load(input);
  train(original, 2, [&](double) { adam.step(); adam.zero_grad(); });
  train(resumed, 2, [&](double) { loaded.step(); loaded.zero_grad(); });
  const auto a = snapshot(original), b = snapshot(resumed);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
}

TEST(TorchOptimizer, LoadingForeignStateNamesTheProblem) {
  Problem problem;
  Optimizer adam("adam", {}, problem.model->named_parameters());
  torch::serialize::OutputArchive archive;
  adam.save(archive);
  std::stringstream saved;
  archive.save_to(saved);
  Optimizer lion("lion", {}, problem.model->named_parameters());
  torch::serialize::InputArchive input;
  input.load_from(saved);
  EXPECT_THROW(lion.load(input), Error);

  Problem other;
  ParamGroup renamed{{other.model->parameters()[0]}, {"encoder.weight"}, {}};
  Optimizer stranger("adam", {}, {renamed});
  torch::serialize::InputArchive again;
  std::stringstream copy(saved.str());
  again.load_from(copy);
  try {
    stranger.load(again);
    FAIL();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("no entry 'encoder.weight/m'"), std::string::npos) << error.what();
  }
}


// State whose counts do not fit the optimizer is refused before anything reads past it: AdaGrad-Norm
// keeps one scalar (b squared) per group; a damaged file with none, or with a negative step count,
// names the entry instead of reading out of bounds.
TEST(TorchOptimizer, LoadingStateOfTheWrongSizeNamesTheEntry) {
  Problem problem;
  Optimizer optimizer("adagrad_norm", {{"lr", 0.1}}, problem.model->named_parameters());
  train(problem, 2, [&](double) { optimizer.step(); optimizer.zero_grad(); });
  auto reload = [&](const std::string& key, const torch::Tensor& value) -> std::string {
    torch::serialize::OutputArchive saved;
    optimizer.save(saved);
    saved.write(key, value);  // the last write of a key is the one read back
    std::stringstream bytes;
    saved.save_to(bytes);
    torch::serialize::InputArchive input;
    input.load_from(bytes);
    Optimizer fresh("adagrad_norm", {{"lr", 0.1}}, problem.model->named_parameters());
    try {
      fresh.load(input);
    } catch (const Error& error) {
      return error.what();
    }
    return "loaded";
  };
  EXPECT_EQ(reload("step", torch::tensor(std::int64_t{2})), "loaded");
  EXPECT_EQ(reload("group0/scalars", torch::zeros({0}, torch::kFloat64)),
            "optimizer state: group 0 has 0 scalars; 'adagrad_norm' keeps 1");
  EXPECT_EQ(reload("step", torch::tensor(std::int64_t{-3})), "optimizer state: step -3 is negative");
}

// A hyperparameter factor applied from the first step is the same as building with the product.
TEST(TorchOptimizer, HyperparameterFactorsTakeEffectInPlaceAndKeepTheState) {
  Problem scaled, direct;
  Optimizer a("adamw", {{"lr", 0.01}, {"weight_decay", 0.2}, {"beta1", 0.9}}, scaled.model->named_parameters());
  Optimizer b("adamw", {{"lr", 0.01}, {"weight_decay", 0.1}, {"beta1", 0.45}}, direct.model->named_parameters());
  a.set_hyperparameter_factor("weight_decay", 0.5);
  a.set_hyperparameter_factor("beta1", 0.5);
  a.set_hyperparameter_factor("nonexistent", 0.5);  // groups without it are left alone
  EXPECT_DOUBLE_EQ(a.hyperparameter(0, "weight_decay"), 0.1);
  train(scaled, 5, [&](double) { a.step(); a.zero_grad(); });
  train(direct, 5, [&](double) { b.step(); b.zero_grad(); });
  const auto x = snapshot(scaled), y = snapshot(direct);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_TRUE(torch::equal(x[i], y[i]));

  // AdaGrad-Norm's accumulated b^2 survives a rebuild: factor 1 changes nothing at all.
  Problem kept, untouched;
  Optimizer c("adagrad_norm", {{"lr", 0.1}}, kept.model->named_parameters());
  Optimizer d("adagrad_norm", {{"lr", 0.1}}, untouched.model->named_parameters());
  train(kept, 3, [&](double) { c.step(); c.zero_grad(); });
  train(untouched, 3, [&](double) { d.step(); d.zero_grad(); });
  c.set_hyperparameter_factor("b0", 0.5);  // b0 only seeds b^2 at construction: the accumulated b^2 stays
  train(kept, 3, [&](double) { c.step(); c.zero_grad(); });
  train(untouched, 3, [&](double) { d.step(); d.zero_grad(); });
  const auto p = snapshot(kept), q = snapshot(untouched);
  for (std::size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(torch::equal(p[i], q[i]));
}

TEST(TorchOptimizer, ClipNormMatchesTorchClipGradNorm) {
  Problem ours, theirs;
  Optimizer clipped("sgd", {{"lr", 0.1}, {"clip_norm", 0.05}}, ours.model->named_parameters());
  torch::optim::SGD reference(theirs.model->parameters(), torch::optim::SGDOptions(0.1));
  train(ours, 5, [&](double) { clipped.step(); clipped.zero_grad(); });
  train(theirs, 5, [&](double) {
    torch::nn::utils::clip_grad_norm_(theirs.model->parameters(), 0.05);
    reference.step();
    reference.zero_grad();
  });
  const auto a = snapshot(ours), b = snapshot(theirs);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_LT((a[i] - b[i]).abs().max().item<double>(), 1e-12);
}

// --- drop_in: descent's optimizers behind torch::optim::Optimizer ---------------------------------
namespace drop_in_tests {

torch::Tensor flat_parameters(Problem& problem) {
  std::vector<torch::Tensor> parts;
  for (const auto& p : problem.model->parameters()) parts.push_back(p.detach().reshape(-1).clone());
  return torch::cat(parts);
}

// A training loop written for LibTorch: it sees torch::optim::Optimizer and a LibTorch scheduler.
torch::Tensor train_torch_style(Problem& problem, torch::optim::Optimizer& optimizer, int steps) {
  torch::optim::StepLR scheduler(optimizer, /*step_size=*/4, /*gamma=*/0.5);
  for (int t = 0; t < steps; ++t) {
    optimizer.step([&] {
      optimizer.zero_grad();
      torch::Tensor loss = problem.loss();
      loss.backward();
      return loss;
    });
    scheduler.step();
  }
  return flat_parameters(problem);
}

template <class TorchOptimizer, class DropIn, class Options>
void expect_same_as_torch(const Options& options, const char* what) {
  Problem ours, theirs;
  DropIn descent_optimizer(ours.model->parameters(), options);
  TorchOptimizer torch_optimizer(theirs.model->parameters(), options);
  const torch::Tensor a = train_torch_style(ours, descent_optimizer, 15), b = train_torch_style(theirs, torch_optimizer, 15);
  EXPECT_TRUE(torch::allclose(a, b, /*rtol=*/1e-10, /*atol=*/1e-12)) << what << ": max difference " << (a - b).abs().max().item<double>();
}

TEST(DropIn, FollowsTorchOptimInALoopWrittenForIt) {
  namespace topt = torch::optim;
  expect_same_as_torch<topt::Adam, drop_in::Adam>(topt::AdamOptions(0.01).betas({0.8, 0.99}).weight_decay(0.01), "Adam");
  expect_same_as_torch<topt::Adam, drop_in::Adam>(topt::AdamOptions(0.01).amsgrad(true), "Adam amsgrad");
  expect_same_as_torch<topt::AdamW, drop_in::AdamW>(topt::AdamWOptions(0.01).weight_decay(0.1), "AdamW");
  expect_same_as_torch<topt::SGD, drop_in::SGD>(topt::SGDOptions(0.05).momentum(0.9).nesterov(true), "SGD nesterov");
  expect_same_as_torch<topt::SGD, drop_in::SGD>(topt::SGDOptions(0.05).momentum(0.9).dampening(0.1).weight_decay(0.01), "SGD");
  expect_same_as_torch<topt::RMSprop, drop_in::RMSprop>(topt::RMSpropOptions(0.01).momentum(0.5).centered(true), "RMSprop");
  expect_same_as_torch<topt::Adagrad, drop_in::Adagrad>(topt::AdagradOptions(0.05).lr_decay(0.01), "Adagrad");
}

// Any registry optimizer, in groups with their own rates: the same numbers as descent's own
// optimizer built with the same groups.
TEST(DropIn, RunsAnyRegistryOptimizerInGroupsAsTheCoreDoes) {
  for (const char* name : {"diffgrad", "exadam", "lion", "adagrad_norm"}) {
    Problem wrapped, direct;
    auto groups_of = [](Problem& problem) {
      const auto params = problem.model->parameters();
      return std::pair(std::vector<torch::Tensor>(params.begin(), params.begin() + 2),
                       std::vector<torch::Tensor>(params.begin() + 2, params.end()));
    };
    const auto [w_first, w_rest] = groups_of(wrapped);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(w_first);
    groups.emplace_back(w_rest, std::make_unique<drop_in::RegistryOptions>(drop_in::RegistryOptions().set("lr", 0.002)));
    drop_in::Fused fused(name, std::move(groups), drop_in::RegistryOptions().set("lr", 0.01));

    const auto [d_first, d_rest] = groups_of(direct);
    Optimizer core(name, {{"lr", 0.01}}, {ParamGroup{d_first, {}, {}}, ParamGroup{d_rest, {}, {{"lr", 0.002}}}});
    for (int t = 0; t < 10; ++t) {
      fused.zero_grad();
      wrapped.loss().backward();
      fused.step();
      core.zero_grad();
      direct.loss().backward();
      core.step();
    }
    EXPECT_TRUE(torch::equal(flat_parameters(wrapped), flat_parameters(direct))) << name;
  }
}

TEST(DropIn, SavesAndResumesBitForBitThroughTorchSerialize) {
  Problem straight, resumed;
  drop_in::AdamW straight_optimizer(straight.model->parameters(), torch::optim::AdamWOptions(0.01));
  train(straight, 12, [&](double) { straight_optimizer.step(); straight_optimizer.zero_grad(); });

  std::stringstream saved;
  {
    drop_in::AdamW first(resumed.model->parameters(), torch::optim::AdamWOptions(0.01));
    train(resumed, 6, [&](double) { first.step(); first.zero_grad(); });
    torch::save(first, saved);
  }
  drop_in::AdamW second(resumed.model->parameters(), torch::optim::AdamWOptions(0.01));
  torch::load(second, saved);
  EXPECT_EQ(second.core().steps_taken(), 6);
  train(resumed, 6, [&](double) { second.step(); second.zero_grad(); });
  EXPECT_TRUE(torch::equal(flat_parameters(straight), flat_parameters(resumed)));
}

TEST(DropIn, AddedGroupsKeepTheEarlierState) {
  Problem problem;
  const auto params = problem.model->parameters();
  drop_in::Adam optimizer(std::vector<torch::Tensor>(params.begin(), params.begin() + 2), torch::optim::AdamOptions(0.01));
  train(problem, 3, [&](double) { optimizer.step(); optimizer.zero_grad(); });
  const torch::Tensor m_before = optimizer.core().parameter_state(0, 0).front().second.clone();
  optimizer.add_param_group(torch::optim::OptimizerParamGroup(std::vector<torch::Tensor>(params.begin() + 2, params.end())));
  EXPECT_TRUE(torch::equal(optimizer.core().parameter_state(0, 0).front().second, m_before));
  EXPECT_EQ(optimizer.core().steps_taken(), 3);
  EXPECT_EQ(optimizer.core().parameter_state(1, 0).front().second.count_nonzero().item<std::int64_t>(), 0);
  EXPECT_THROW(drop_in::Fused("adamm", params), ConfigError);
  EXPECT_THROW(drop_in::Adam(params, torch::optim::AdamOptions(-1.0)), ConfigError);
}

}  // namespace drop_in_tests

}  // namespace
}  // namespace descent::optim
