// A dataset split as LibTorch tensors that alias its buffers (no copy): features in the samples'
// shape, and int64 labels (one per sample or per sequence position) or float targets {n, 1}.
#pragma once

#include <torch/torch.h>

#include "descent/data/dataset.hpp"

namespace descent::data {

struct LabeledTensors {
  torch::Tensor features;
  torch::Tensor targets;
  bool classification = true;
};

// The Dataset must outlive the tensors.
LabeledTensors as_tensors(const Dataset& dataset);

}  // namespace descent::data
