// Cost of curvature probes on the quickstart MLP (784-256-10) over 1,000 Fashion-MNIST images:
// one Hessian-vector product against one gradient (forward + backward), and how many Lanczos
// iterations (HVPs) the top eigenvalue needs to reach 1e-3 relative to a 100-iteration reference.
#include <fmt/format.h>

#include <chrono>

#include "descent/core/env.hpp"
#include "descent/data/dataset.hpp"
#include "descent/diag/spectrum.hpp"
#include "descent/models/models.hpp"

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  descent::env::pin_blas_threads_to_one();
  torch::set_num_threads(1);
  const std::string dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  auto data = descent::data::load_fashion_mnist(dir, "train");
  const torch::Tensor x = torch::from_blob(data.features.data(), {data.size(), 784}, torch::kFloat32).slice(0, 0, 1000).clone();
  const torch::Tensor y = torch::from_blob(data.labels.data(), {data.size()}, torch::kInt64).slice(0, 0, 1000).clone();
  torch::manual_seed(0);
  auto model = descent::models::make_model({"mlp", {256}, "relu"}, {784}, 10);

  auto seconds = [](auto&& fn, int repeats) {
    fn();
    const auto start = Clock::now();
    for (int r = 0; r < repeats; ++r) fn();
    return std::chrono::duration<double>(Clock::now() - start).count() / repeats;
  };
  const double gradient = seconds([&] {
    model->zero_grad();
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
  }, 20);
  descent::diag::HessianOperator hessian(*model, x, y, true);
  const torch::Tensor v = torch::randn({hessian.dimension()}, torch::kFloat64);
  const double hvp = seconds([&] { hessian.apply(v); }, 20);
  fmt::print("gradient {:.2f} ms, HVP {:.2f} ms: one HVP = {:.2f} gradients (target <= 3)\n", 1e3 * gradient, 1e3 * hvp, hvp / gradient);

  const double reference = descent::diag::lanczos(hessian.as_operator(), hessian.dimension(), 1, 100, 1).eigenvalues.front();
  for (int m = 5; m <= 60; m += 5) {
    const double estimate = descent::diag::lanczos(hessian.as_operator(), hessian.dimension(), 1, m, 1).eigenvalues.front();
    const double error = std::abs(estimate - reference) / reference;
    fmt::print("lanczos {:2d} HVPs: top eigenvalue {:.6f}, relative error {:.1e}\n", m, estimate, error);
    if (error < 1e-3) {
      fmt::print("top eigenvalue to 1e-3 in {} HVPs (target <= 30)\n", m);
      break;
    }
  }
  return 0;
}
