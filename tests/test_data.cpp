// The IDX reader on valid and broken files, the Fashion-MNIST loader's checks, splits, synthetic
// data and the batch loader.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "descent/core/error.hpp"
#include "descent/data/batch_loader.hpp"
#include "descent/data/dataset.hpp"
#include "descent/data/idx.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/data/text.hpp"
#include "helpers.hpp"

namespace descent::data {
namespace {

using descent::testing::idx_bytes;
using descent::testing::TempDir;
using descent::testing::write_file;
using descent::testing::write_maybe_gzipped;

// Expects read_idx to throw a DataError whose message names the file and contains `fault`.
void expect_idx_error(const std::filesystem::path& path, int rank, const std::string& fault) {
  try {
    read_idx(path, rank);
    FAIL() << "expected an error containing '" << fault << "'";
  } catch (const DataError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find(fault), std::string::npos) << message;
  }
}

TEST(Idx, ReadsPlainAndGzippedFiles) {
  TempDir dir;
  const std::vector<std::uint8_t> values = {0, 1, 2, 3, 250, 251};
  for (const char* name : {"a.idx", "a.idx.gz"}) {
    write_maybe_gzipped(dir / name, idx_bytes(0x08, {2, 3}, values));
    const IdxArray array = read_idx(dir / name, 2);
    EXPECT_EQ(array.dims, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(array.values, values);
  }
}

TEST(Idx, RejectsBrokenFiles) {
  TempDir dir;
  expect_idx_error(dir / "missing.gz", 1, "file not found");

  write_maybe_gzipped(dir / "magic.gz", std::string("\x01\x02\x08\x01\x00\x00\x00\x01\x05", 9));
  expect_idx_error(dir / "magic.gz", 1, "wrong magic number 01020801");

  write_maybe_gzipped(dir / "float.gz", idx_bytes(0x0D, {1}, {0, 0, 0, 0}));
  expect_idx_error(dir / "float.gz", 1, "wrong element type 0x0d (float32)");

  write_maybe_gzipped(dir / "rank.gz", idx_bytes(0x08, {1, 1}, {7}));
  expect_idx_error(dir / "rank.gz", 1, "wrong rank 2; expected 1");

  write_maybe_gzipped(dir / "short.gz", idx_bytes(0x08, {10}, {1, 2, 3}));
  expect_idx_error(dir / "short.gz", 1, "header promises 10 values, file holds 3");

  write_maybe_gzipped(dir / "header.gz", std::string("\x00\x00\x08\x01\x00\x00", 6));
  expect_idx_error(dir / "header.gz", 1, "dimension 0 of the header is incomplete");

  write_maybe_gzipped(dir / "long.gz", idx_bytes(0x08, {2}, {1, 2, 3}));
  expect_idx_error(dir / "long.gz", 1, "unexpected data after the 2 values");

  write_maybe_gzipped(dir / "tiny", std::string("\x00\x00", 2));
  expect_idx_error(dir / "tiny", 1, "4-byte IDX header is incomplete");

  // A header that promises 0x7fffffff images of 28 x 28 (about 1.7e12 bytes) in a 20-byte file is
  // a truncation, found without allocating what it promises (this was std::bad_alloc, no file name).
  write_maybe_gzipped(dir / "huge.gz", idx_bytes(0x08, {0x7fffffff, 28, 28}, {1, 2, 3, 4}));
  expect_idx_error(dir / "huge.gz", 3, "header promises 1683627179248 values, file holds 4");

  // Dimensions whose product overflows 64 bits.
  write_maybe_gzipped(dir / "overflow.gz", idx_bytes(0x08, {0xffffffff, 0xffffffff, 0xffffffff}, {1}));
  expect_idx_error(dir / "overflow.gz", 3, "dimensions multiply past any file size");
}

TEST(FashionMnist, LoadsAndScalesPixels) {
  TempDir dir;
  testing::write_tiny_fashion_mnist(dir.path(), 30, 10);
  const Dataset train = load_fashion_mnist(dir.path(), "train");
  EXPECT_EQ(train.size(), 30);
  EXPECT_EQ(train.sample_shape, (std::vector<std::int64_t>{1, 28, 28}));
  EXPECT_EQ(train.num_classes, 10);
  const auto [low, high] = std::minmax_element(train.features.begin(), train.features.end());
  EXPECT_GE(*low, 0.0f);
  EXPECT_LE(*high, 1.0f);
}

TEST(FashionMnist, RejectsCountMismatchAndBadLabels) {
  TempDir dir;
  testing::write_tiny_fashion_mnist(dir.path(), 5, 5);
  write_maybe_gzipped(dir / "train-labels-idx1-ubyte.gz", idx_bytes(0x08, {4}, {0, 1, 2, 3}));
  try {
    load_fashion_mnist(dir.path(), "train");
    FAIL();
  } catch (const DataError& error) {
    EXPECT_NE(std::string(error.what()).find("holds 4 labels but"), std::string::npos) << error.what();
  }
  write_maybe_gzipped(dir / "train-labels-idx1-ubyte.gz", idx_bytes(0x08, {5}, {0, 1, 12, 3, 4}));
  try {
    load_fashion_mnist(dir.path(), "train");
    FAIL();
  } catch (const DataError& error) {
    EXPECT_NE(std::string(error.what()).find("label 12 at index 2 is out of range 0..9"), std::string::npos) << error.what();
  }
  EXPECT_THROW(load_fashion_mnist(dir / "nowhere", "train"), DataError);
}

// Character windows: inputs are `context` characters, labels the next character at each position;
// the vocabulary is the bytes present, in byte order; the tail is the test split.
TEST(Text, WindowsPredictTheNextCharacter) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 50; ++i) text += "abcd";
  write_file(dir / "corpus.txt", text);  // 200 characters
  const Splits splits = character_text({dir / "corpus.txt", 4, 0.1});
  EXPECT_EQ(splits.train.num_classes, 4);
  EXPECT_EQ(splits.train.labels_per_sample, 4);
  EXPECT_EQ(splits.train.size(), (180 - 1) / 4);  // windows of 4 + 1 within the first 180 characters
  EXPECT_EQ(splits.test.size(), (20 - 1) / 4);
  EXPECT_EQ(std::vector<float>(splits.train.features.begin(), splits.train.features.begin() + 5), (std::vector<float>{0, 1, 2, 3, 0}));
  EXPECT_EQ(std::vector<std::int64_t>(splits.train.labels.begin(), splits.train.labels.begin() + 5), (std::vector<std::int64_t>{1, 2, 3, 0, 1}));
  // A subset keeps each sample's whole label sequence.
  const std::vector<std::int64_t> pick = {2};
  const Dataset one = splits.train.subset(pick);
  EXPECT_EQ(one.labels, (std::vector<std::int64_t>{1, 2, 3, 0}));
  // Folders: regular files in name order, links skipped.
  std::filesystem::create_directories(dir / "folder");
  write_file(dir / "folder/b.txt", "xyz");
  write_file(dir / "folder/a.txt", text);
  std::filesystem::create_symlink(dir / "folder/a.txt", dir / "folder/c-link");
  EXPECT_EQ(character_text({dir / "folder", 4, 0.1}).train.num_classes, 7);
  EXPECT_THROW(character_text({dir / "missing", 4, 0.1}), DataError);
  EXPECT_THROW(character_text({dir / "folder/b.txt", 4, 0.1}), DataError);  // too short
}

TEST(Splits, ValidationIsCarvedBySeedWithoutOverlap) {
  auto make = [] {
    Splits splits = gaussian_mixture({100, 10, 3, 2, 2.0}, 5);
    carve_validation(splits, 20, 9);
    return splits;
  };
  const Splits a = make(), b = make();
  EXPECT_EQ(a.train.size(), 80);
  EXPECT_EQ(a.validation.size(), 20);
  EXPECT_EQ(a.validation.features, b.validation.features);
  // Every original sample ends in exactly one split: compare the multiset of first features.
  const Splits whole = gaussian_mixture({100, 10, 3, 2, 2.0}, 5);
  std::multiset<float> original, carved;
  for (std::int64_t i = 0; i < 100; ++i) original.insert(whole.train.features[i * 3]);
  for (const Dataset* part : {&a.train, &a.validation}) {
    for (std::int64_t i = 0; i < part->size(); ++i) carved.insert(part->features[i * 3]);
  }
  EXPECT_EQ(original, carved);
}

TEST(Splits, StandardizeGivesZeroMeanUnitVarianceOnTrain) {
  Splits splits = linear_regression({500, 50, 4, 0.1}, 3);
  for (auto& f : splits.train.features) f = 3.0f * f + 2.0f;
  standardize(splits);
  for (int j = 0; j < 4; ++j) {
    double mean = 0, square = 0;
    for (int i = 0; i < 500; ++i) mean += splits.train.features[i * 4 + j];
    mean /= 500;
    for (int i = 0; i < 500; ++i) square += std::pow(splits.train.features[i * 4 + j] - mean, 2);
    EXPECT_NEAR(mean, 0.0, 1e-5);
    EXPECT_NEAR(square / 500, 1.0, 1e-4);
  }
}

TEST(Synthetic, SameSeedSameData) {
  EXPECT_EQ(gaussian_mixture({}, 1).train.features, gaussian_mixture({}, 1).train.features);
  EXPECT_NE(gaussian_mixture({}, 1).train.features, gaussian_mixture({}, 2).train.features);
  const Splits regression = linear_regression({}, 4);
  EXPECT_EQ(regression.train.task, Task::regression);
  EXPECT_EQ(regression.train.targets.size(), 2000u);
}

TEST(BatchLoader, EachEpochIsAPermutationFixedBySeedAndEpoch) {
  BatchLoader loader(10, 4, 42);
  EXPECT_EQ(loader.batches_per_epoch(), 3);
  auto epoch_order = [&](std::int64_t epoch) {
    loader.start_epoch(epoch);
    std::vector<std::int64_t> order;
    for (std::int64_t b = 0; b < loader.batches_per_epoch(); ++b) {
      const auto batch = loader.batch(b);
      order.insert(order.end(), batch.begin(), batch.end());
    }
    return order;
  };
  const auto first = epoch_order(0), second = epoch_order(1);
  std::vector<std::int64_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> expected(10);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(sorted, expected);
  EXPECT_NE(first, second);
  EXPECT_EQ(epoch_order(0), first);  // resuming at epoch 0 replays it exactly
  EXPECT_EQ(loader.batch(2).size(), 2u);
  EXPECT_EQ(BatchLoader(10, 4, 42, true, /*drop_last=*/true).batches_per_epoch(), 2);
}

}  // namespace
}  // namespace descent::data
