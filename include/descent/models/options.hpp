// [model]: which network a run trains.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "descent/core/fields.hpp"
#include "descent/models/parameterization.hpp"

namespace descent::models {

struct ModelOptions {
  std::string kind = "mlp";  // mlp | cnn | linear | transformer | neural_ode | torchscript
  std::vector<std::int64_t> hidden = {256};
  std::string activation = "relu";
  bool batch_norm = false;       // mlp: batch normalization after each hidden layer
  std::int64_t ghost_batch = 0;  // ghost batch size for that normalization (0: the whole batch)
  ParameterizationOptions scaling{};  // mlp, linear, cnn: standard, ntk or mup
  // transformer (text data only)
  std::int64_t width = 64, heads = 4, layers = 2;
  bool qk_layernorm = false;
  // torchscript (last: the other kinds are built positionally): the saved module, and the hash of
  // its bytes (set when the study file is read), so that a module edited in place keys new runs.
  std::string path{}, path_hash{};
  // neural_ode: the flow's solver and its steps over t in [0, 1], and zeros appended to the input.
  std::string ode_solver{"rk4"};
  std::int64_t ode_steps{8}, augment{0};
};

// [model]. The MLP's fields are stored for every kind (hidden empty), as they always were.
template <class Fields>
void describe(ModelOptions& o, Fields& f, const std::vector<std::string>& kinds, const std::vector<std::string>& activations) {
  f.text("kind", o.kind, kinds);
  const bool mlp = o.kind == "mlp", transformer = o.kind == "transformer", neural_ode = o.kind == "neural_ode";
  if (!mlp && !neural_ode) o.hidden.clear();
  f.integers("hidden", o.hidden, 1, true, Field{mlp || neural_ode, true});
  f.text("activation", o.activation, activations, Field{mlp || neural_ode, true});
  f.boolean("batch_norm", o.batch_norm, Field{mlp, true});
  f.integer("ghost_batch", o.ghost_batch, 0, std::numeric_limits<std::int64_t>::max(), Field{mlp, true});
  const bool scalable = mlp || o.kind == "linear" || o.kind == "cnn";
  f.choice("parameterization", o.scaling.kind, kParameterizations, Field{scalable, o.scaling.kind != Parameterization::standard});
  f.integer("base_width", o.scaling.base_width, 0, 1 << 24, Field{scalable, o.scaling.base_width != 0});
  f.real("ntk_beta", o.scaling.ntk_beta, 0.0, 1e6, false, Field{scalable, o.scaling.ntk_beta != 0.1});
  if (o.kind == "torchscript") {
    f.text("path", o.path, {});
    f.text("path_hash", o.path_hash, {}, Field{false, !o.path_hash.empty()});
  }
  if (neural_ode) {
    f.text("ode_solver", o.ode_solver, {"euler", "heun", "rk4", "dopri5", "tsit5"});
    f.integer("ode_steps", o.ode_steps, 1, 1 << 16);
    f.integer("augment", o.augment, 0, 1 << 16);
  }
  if (!transformer) return;
  f.integer("width", o.width, 1, 1 << 16);
  f.integer("heads", o.heads, 1, 1024);
  f.integer("layers", o.layers, 1, 1024);
  f.boolean("qk_layernorm", o.qk_layernorm);
}

}  // namespace descent::models
