// One descent optimizer in a plain LibTorch training loop (README, "Using descent from C++").
#include <descent/optim.hpp>
#include <torch/torch.h>

#include <cstdio>

int main() {
  torch::manual_seed(0);
  // A small regression problem: y = x w* + noise.
  const torch::Tensor x = torch::randn({256, 8});
  const torch::Tensor y = x.matmul(torch::randn({8, 1})) + 0.01 * torch::randn({256, 1});
  torch::nn::Sequential model(torch::nn::Linear(8, 32), torch::nn::Tanh(), torch::nn::Linear(32, 1));

  // As torch::optim::AdamW would be built, with descent's fused step.
  descent::optim::Optimizer optimizer("adamw", {{"lr", 1e-2}, {"weight_decay", 1e-4}}, model->named_parameters());

  double first = 0.0, last = 0.0;
  for (int step = 0; step < 200; ++step) {
    optimizer.zero_grad();
    const torch::Tensor loss = torch::mse_loss(model->forward(x), y);
    loss.backward();
    optimizer.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  std::printf("loss %.4f -> %.4f\n", first, last);
  return last < 0.1 * first ? 0 : 1;
}
