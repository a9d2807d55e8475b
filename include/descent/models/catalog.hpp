// The model kinds and datasets a study can name, without LibTorch (config validation, listings).
#pragma once

#include <string>
#include <vector>

namespace descent {

struct CatalogEntry {
  std::string name;
  std::string summary;
};

namespace models {
const std::vector<CatalogEntry>& catalog();
std::vector<std::string> names();
const std::vector<std::string>& activations();
}  // namespace models

namespace data {
const std::vector<CatalogEntry>& dataset_catalog();
std::vector<std::string> dataset_names();
}  // namespace data

}  // namespace descent
