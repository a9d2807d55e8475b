// The splits a [data] section describes: loaded (Fashion-MNIST, text) or drawn (synthetic), with
// subsets, the validation split carved from train, random labels and standardization applied.
#pragma once

#include "descent/data/dataset.hpp"
#include "descent/data/options.hpp"

namespace descent::data {

Splits load_splits(const DataOptions& options);

}  // namespace descent::data
