// [model]: which network a run trains.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace descent::models {

struct ModelOptions {
  std::string kind = "mlp";  // mlp | cnn | linear | transformer
  std::vector<std::int64_t> hidden = {256};
  std::string activation = "relu";
  bool batch_norm = false;       // mlp: batch normalization after each hidden layer
  std::int64_t ghost_batch = 0;  // ghost batch size for that normalization (0: the whole batch)
  // transformer (text data only)
  std::int64_t width = 64, heads = 4, layers = 2;
  bool qk_layernorm = false;
};

}  // namespace descent::models
