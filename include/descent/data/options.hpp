// [data]: which dataset a study trains on, and how it is split and prepared.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "descent/core/fields.hpp"

namespace descent::data {

struct DataOptions {
  std::string dataset = "fashion-mnist";  // fashion-mnist | gaussian-mixture | linear-regression | signal-coordinate | spirals | text | arrays | csv
  std::string dir = "/usr/share/datasets/fashion-mnist";
  std::int64_t validation = 0;    // samples carved from train, by seed
  std::int64_t train_subset = 0;  // 0: all
  std::int64_t test_subset = 0;   // 0: all
  bool standardize = false;
  // Synthetic datasets only.
  std::int64_t train_size = 2000;
  std::int64_t test_size = 500;
  std::int64_t features = 20;
  std::int64_t classes = 4;
  double separation = 2.0;
  double noise = 0.1;
  // text: a character-level corpus (data/text.hpp).
  std::string text_path = "/usr/share/common-licenses";
  std::int64_t context = 64;
  // arrays: .npz files (numpy.savez) holding a features array {N, ...} and a targets array {N}:
  // integer targets are class labels, floating-point ones regression targets.
  // csv: files with a header row; the column named `target` is the target, the others features.
  std::string train_path, test_path;
  std::string train_hash, test_hash;  // of the files' bytes, set when the study file is read (core/hash.hpp)
  std::string features_key = "features", targets_key = "targets";
  std::string target_column;
  std::string task = "classification";  // csv: classification (integer labels) | regression
  bool random_labels = false;  // classification: replace the training labels by uniform random ones (drawn by seed)
  std::uint64_t seed = 0;  // draws synthetic data, carves validation and subsets: fixed per study, so all runs see the same data
};

// [data]. Each dataset reads its own keys; `standardize` is stored for text too (read only where
// it means something), and random_labels only when set, so that older run keys stay as they were.
template <class Fields>
void describe(DataOptions& o, Fields& f, const std::vector<std::string>& datasets) {
  f.text("dataset", o.dataset, datasets);
  f.integer("validation", o.validation, 0);
  f.integer("seed", o.seed, 0);
  const bool fashion = o.dataset == "fashion-mnist", text = o.dataset == "text";
  const bool regression = o.dataset == "linear-regression";
  if (!text && !regression) f.boolean("random_labels", o.random_labels, stored_if(o.random_labels));
  if (fashion) {
    f.text("dir", o.dir, {});
    f.integer("train_subset", o.train_subset, 0);
    f.integer("test_subset", o.test_subset, 0);
  } else if (text) {
    f.text("path", o.text_path, {});
    f.integer("context", o.context, 2, 4096);
  } else if (o.dataset == "arrays" || o.dataset == "csv") {
    f.text("train", o.train_path, {});
    f.text("test", o.test_path, {});
    f.text("train_hash", o.train_hash, {}, Field{false, !o.train_hash.empty()});
    f.text("test_hash", o.test_hash, {}, Field{false, !o.test_hash.empty()});
    if (o.dataset == "arrays") {
      f.text("features_key", o.features_key, {});
      f.text("targets_key", o.targets_key, {});
    } else {
      f.text("target", o.target_column, {});
      f.text("task", o.task, {"classification", "regression"});
    }
  } else if (o.dataset == "spirals") {
    f.integer("train_size", o.train_size, 2);
    f.integer("test_size", o.test_size, 1);
    f.real("noise", o.noise, 0.0, 1e3);
  } else {
    f.integer("train_size", o.train_size, 2);
    f.integer("test_size", o.test_size, 1);
    f.integer("features", o.features, o.dataset == "signal-coordinate" ? 2 : 1, 1 << 20);
    if (regression) {
      f.real("noise", o.noise, 0.0, 1e3);
    } else if (o.dataset != "signal-coordinate") {
      f.integer("classes", o.classes, 2, 1000);
      f.real("separation", o.separation, 0.0, 1e3);
    }
  }
  f.boolean("standardize", o.standardize, Field{!text, true});
}

}  // namespace descent::data
