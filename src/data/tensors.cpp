#include "descent/data/tensors.hpp"

namespace descent::data {

LabeledTensors as_tensors(const Dataset& dataset) {
  std::vector<std::int64_t> shape = {dataset.size()};
  shape.insert(shape.end(), dataset.sample_shape.begin(), dataset.sample_shape.end());
  auto* features = const_cast<float*>(dataset.features.data());
  LabeledTensors view;
  view.features = torch::from_blob(features, shape, torch::kFloat32);
  view.classification = dataset.task == Task::classification;
  if (view.classification && dataset.labels_per_sample > 1) {  // sequences: a label per position
    view.targets = torch::from_blob(const_cast<std::int64_t*>(dataset.labels.data()), {dataset.size(), dataset.labels_per_sample},
                                    torch::kInt64);
  } else if (view.classification) {
    view.targets = torch::from_blob(const_cast<std::int64_t*>(dataset.labels.data()), {dataset.size()}, torch::kInt64);
  } else {
    view.targets = torch::from_blob(const_cast<float*>(dataset.targets.data()), {dataset.size(), 1}, torch::kFloat32);
  }
  return view;
}

}  // namespace descent::data
