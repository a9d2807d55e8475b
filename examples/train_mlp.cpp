// A LibTorch training loop with a descent optimizer dropped in where torch::optim::AdamW would be:
// the same options type, torch's own StepLR driving it. Trains a 784-256-10 MLP on Fashion-MNIST for
// one epoch and prints the test accuracy.
//   build/examples/train_mlp [/usr/share/datasets/fashion-mnist]
#include <torch/torch.h>

#include <iostream>

#include "descent/data/dataset.hpp"
#include "descent/optim/torch_drop_in.hpp"

struct Mlp : torch::nn::Module {
  torch::nn::Linear fc1{register_module("fc1", torch::nn::Linear(784, 256))};
  torch::nn::Linear fc2{register_module("fc2", torch::nn::Linear(256, 10))};
  torch::Tensor forward(torch::Tensor x) { return fc2(torch::relu(fc1(x.flatten(1)))); }
};

torch::Tensor images_of(descent::data::Dataset& d) {
  return torch::from_blob(d.features.data(), {d.size(), 784}, torch::kFloat32);
}
torch::Tensor labels_of(descent::data::Dataset& d) {
  return torch::from_blob(d.labels.data(), {d.size()}, torch::kInt64);
}

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  auto train = descent::data::load_fashion_mnist(dir, "train");
  auto test = descent::data::load_fashion_mnist(dir, "t10k");
  torch::manual_seed(0);
  auto model = std::make_shared<Mlp>();

  // The one line that differs from a torch::optim program (there: torch::optim::AdamW optimizer(...)).
  descent::optim::drop_in::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(2e-3).weight_decay(1e-2));
  torch::optim::StepLR scheduler(optimizer, /*step_size=*/200, /*gamma=*/0.5);

  const torch::Tensor x = images_of(train), y = labels_of(train);
  const torch::Tensor order = torch::randperm(train.size());
  for (std::int64_t begin = 0; begin < train.size(); begin += 128) {
    const torch::Tensor batch = order.slice(0, begin, begin + 128);
    optimizer.zero_grad();
    const torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x.index_select(0, batch)),
                                                                    y.index_select(0, batch));
    loss.backward();
    optimizer.step();
    scheduler.step();
  }

  torch::NoGradGuard no_grad;
  const torch::Tensor predicted = model->forward(images_of(test)).argmax(1);
  const double accuracy = predicted.eq(labels_of(test)).to(torch::kFloat64).mean().item<double>();
  std::cout << "test accuracy after one epoch: " << accuracy << "\n";
  return 0;
}
