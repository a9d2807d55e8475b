#include "descent/models/catalog.hpp"

#include "descent/core/named.hpp"

namespace descent {

namespace models {

const std::vector<CatalogEntry>& catalog() {
  static const std::vector<CatalogEntry> entries = {
      {"mlp", "multilayer perceptron: model.hidden widths, model.activation between layers"},
      {"cnn", "conv5x5-16, maxpool2, conv5x5-32, maxpool2, linear (image datasets)"},
      {"linear", "one linear layer: logistic regression for classes, least squares for regression"},
      {"transformer", "decoder-only character transformer: model.width, heads, layers, qk_layernorm (text data)"},
      {"neural_ode", "neural ODE classifier: the input (plus model.augment zeros) flows along dh/dt = MLP(h) (through the "
                     "model.hidden widths, model.activation) from t = 0 to 1 by model.ode_solver in model.ode_steps steps, "
                     "then a linear readout"},
      {"torchscript", "your own module: model.path, saved from Python by torch.jit.script(model).save(path)"},
  };
  return entries;
}

std::vector<std::string> names() { return names_of(catalog()); }

const std::vector<std::string>& activations() {
  static const std::vector<std::string> names = {"relu", "tanh", "gelu", "sigmoid"};
  return names;
}

}  // namespace models

namespace data {

const std::vector<CatalogEntry>& dataset_catalog() {
  static const std::vector<CatalogEntry> entries = {
      {"fashion-mnist", "Zalando's 28x28 clothing images, 10 classes, 60k train / 10k test (IDX files in data.dir)"},
      {"gaussian-mixture", "seeded Gaussian clusters, data.classes classes in data.features dimensions"},
      {"linear-regression", "seeded y = w.x + noise, data.features dimensions"},
      {"signal-coordinate", "seeded x = +-e_j, one coordinate j per sample carrying its binary label (Shah et al., 2021), "
                            "data.features dimensions"},
      {"spirals", "seeded two interleaved spirals in the plane, 2 classes, Gaussian jitter data.noise (neural-ODE demos)"},
      {"text", "characters of data.path (default Debian's /usr/share/common-licenses), windows of data.context"},
      {"arrays", "your own arrays: data.train and data.test .npz files (numpy.savez) with 'features' {N, ...} and "
                 "'targets' {N} (integers: classes; floats: regression)"},
      {"csv", "your own table: data.train and data.test CSV files with a header row, data.target the target column, "
              "data.task classification or regression"},
  };
  return entries;
}

std::vector<std::string> dataset_names() { return names_of(dataset_catalog()); }

}  // namespace data
}  // namespace descent
