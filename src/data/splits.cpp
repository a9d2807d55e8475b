#include "descent/data/splits.hpp"

#include "descent/data/arrays.hpp"
#include "descent/data/dataset.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/data/text.hpp"

namespace descent::data {

Splits load_splits(const DataOptions& config) {
  Splits splits;
  if (config.dataset == "fashion-mnist") {
    splits.train = load_fashion_mnist(config.dir, "train");
    splits.test = load_fashion_mnist(config.dir, "t10k");
    keep_subset(splits.train, config.train_subset, config.seed);
    keep_subset(splits.test, config.test_subset, config.seed + 1);
  } else if (config.dataset == "arrays") {
    splits.train = load_arrays(config.train_path, config.features_key, config.targets_key);
    splits.test = load_arrays(config.test_path, config.features_key, config.targets_key);
    match_splits(splits.train, splits.test, config.test_path);
  } else if (config.dataset == "csv") {
    const Task task = config.task == "regression" ? Task::regression : Task::classification;
    splits.train = load_csv(config.train_path, config.target_column, task);
    splits.test = load_csv(config.test_path, config.target_column, task);
    match_splits(splits.train, splits.test, config.test_path);
  } else if (config.dataset == "text") {
    splits = character_text({config.text_path, config.context, 0.1});
  } else if (config.dataset == "gaussian-mixture") {
    splits = gaussian_mixture({config.train_size, config.test_size, config.features, config.classes, config.separation},
                              config.seed);
  } else if (config.dataset == "spirals") {
    splits = two_spirals({config.train_size, config.test_size, config.noise}, config.seed);
  } else if (config.dataset == "signal-coordinate") {
    splits = signal_coordinate({config.train_size, config.test_size, config.features}, config.seed);
  } else {
    splits = linear_regression({config.train_size, config.test_size, config.features, config.noise}, config.seed);
  }
  carve_validation(splits, config.validation, config.seed);
  if (config.random_labels) randomize_labels(splits.train, config.seed);
  if (config.standardize) standardize(splits);
  return splits;
}

}  // namespace descent::data
