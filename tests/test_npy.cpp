// NumPy arrays (.npy, .npz) against files numpy itself wrote (tests/data/make_npy_fixtures.py), and
// the "arrays" dataset built from them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "descent/core/error.hpp"
#include "descent/data/arrays.hpp"
#include "descent/data/npy.hpp"
#include "helpers.hpp"

namespace descent::data {
namespace {

const std::filesystem::path kDir = std::filesystem::path(DESCENT_TEST_DATA_DIR) / "npy";

std::string fault_of(const std::filesystem::path& path) {
  try {
    read_npy(path);
  } catch (const DataError& error) {
    return error.what();
  }
  return "read";
}

std::string bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Npy, ReadsEveryElementTypeNumpyWrites) {
  const NpyArray f32 = read_npy(kDir / "float32_2x3x4.npy");
  EXPECT_EQ(f32.shape, (std::vector<std::int64_t>{2, 3, 4}));
  const auto values = f32.to_float();
  ASSERT_EQ(values.size(), 24u);
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(values[i], static_cast<float>(i) / 8) << i;

  const NpyArray f64 = read_npy(kDir / "float64_5.npy");
  EXPECT_EQ(f64.type, NpyType::float64);
  double third;
  std::memcpy(&third, f64.data.data() + 2 * sizeof(double), sizeof(double));
  EXPECT_EQ(third, 3e300);  // the raw doubles are kept; to_float rounds
  EXPECT_EQ(f64.to_float()[1], -1.25f);

  EXPECT_EQ(read_npy(kDir / "uint8_2x2.npy").to_int64(), (std::vector<std::int64_t>{0, 255, 7, 128}));
  EXPECT_EQ(read_npy(kDir / "int64_4.npy").to_int64(), (std::vector<std::int64_t>{3, -1, std::int64_t{1} << 40, 0}));
  const NpyArray v2 = read_npy(kDir / "version2.npy");
  EXPECT_EQ(v2.shape, (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(v2.to_float()[5], 5.0f);
}

TEST(Npy, RefusesWhatItCannotReadNamingTheFileAndTheFault) {
  using ::testing::HasSubstr;
  EXPECT_THAT(fault_of(kDir / "fortran.npy"), HasSubstr("Fortran order"));
  EXPECT_THAT(fault_of(kDir / "big_endian.npy"), HasSubstr("element type '>f4'"));
  EXPECT_THAT(fault_of(kDir / "int32.npy"), HasSubstr("element type '<i4'"));
  EXPECT_THAT(fault_of(kDir / "missing.npy"), HasSubstr("missing.npy: file not found"));

  const std::string good = bytes_of(kDir / "float32_2x3x4.npy");
  EXPECT_THAT([&] {
    try {
      parse_npy(good.substr(0, good.size() - 1), "cut.npy");
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("read");
  }(), HasSubstr("cut.npy: not a usable .npy array: the shape declares more elements than the 95 bytes of data hold"));
  auto parse_fault = [](const std::string& bytes) {
    try {
      parse_npy(bytes, "x.npy");
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("read");
  };
  std::string huge = good;
  huge.replace(huge.find("(2, 3, 4)"), 9, "(9999999999999, 3, 4)");
  EXPECT_THAT(parse_fault(huge), HasSubstr("more elements than"));
  std::string overflow = good;
  overflow.replace(overflow.find("(2, 3, 4)"), 9, "(99999999999999999999999, 3)");
  EXPECT_THAT(parse_fault(overflow), HasSubstr("overflows"));
  EXPECT_THAT(parse_fault("not numpy at all"), HasSubstr("no .npy magic"));
  EXPECT_THAT(parse_fault(good + "xyzw"), HasSubstr("the shape declares 96 bytes of data, the file has 100"));
  std::string garbage = good;
  garbage.replace(garbage.find("'descr'"), 7, "'desc!'");
  EXPECT_THAT(parse_fault(garbage), HasSubstr("unknown header key 'desc!'"));
}

TEST(Npy, ReadsNpzArchivesStoredAndCompressed) {
  for (const char* file : {"images.npz", "images_compressed.npz"}) {
    const auto arrays = read_npz(kDir / file);
    ASSERT_EQ(arrays.size(), 2u) << file;
    EXPECT_EQ(arrays.at("features").shape, (std::vector<std::int64_t>{6, 1, 2, 2}));
    EXPECT_EQ(arrays.at("targets").to_int64(), (std::vector<std::int64_t>{0, 2, 1, 2, 0, 1}));
    EXPECT_EQ(arrays.at("features").to_float()[23], 23.0f);
  }
  std::string damaged = bytes_of(kDir / "images_compressed.npz");
  damaged[damaged.size() / 3] ^= 0x20;
  testing::TempDir dir;
  testing::write_file(dir / "damaged.npz", damaged);
  EXPECT_THROW(read_npz(dir / "damaged.npz"), DataError);
}

// Crashes the fuzzers found (fuzz/npy_fuzzer), kept as they were found.
TEST(Npy, FuzzerFindingsStayFixed) {
  // A deflated member declaring 4 GB: allocated before inflating, out of memory.
  try {
    read_npz(kDir / "regressions" / "declared-4gb-from-438-bytes.npz");
    FAIL();
  } catch (const DataError& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("more than deflate can produce"));
  }
}

TEST(ArraysDataset, BuildsClassificationAndRegressionSplits) {
  Dataset images = load_arrays(kDir / "images.npz", "features", "targets");
  EXPECT_EQ(images.task, Task::classification);
  EXPECT_EQ(images.size(), 6);
  EXPECT_EQ(images.sample_shape, (std::vector<std::int64_t>{1, 2, 2}));
  EXPECT_EQ(images.num_classes, 3);
  const Dataset regression = load_arrays(kDir / "regression.npz", "x", "y");
  EXPECT_EQ(regression.task, Task::regression);
  EXPECT_EQ(regression.sample_shape, (std::vector<std::int64_t>{2}));
  EXPECT_FLOAT_EQ(regression.targets[3], 0.4f);
  try {
    load_arrays(kDir / "regression.npz", "features", "y");
    FAIL();
  } catch (const DataError& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("no array 'features' (it holds: x, y)"));
  }
  Dataset test = regression;
  EXPECT_THROW(match_splits(images, test, "test.npz"), DataError);
}

TEST(CsvDataset, ReadsFeaturesAndTheNamedTargetColumn) {
  testing::TempDir dir;
  testing::write_file(dir / "train.csv", "x1,\"label\",x2\n0.5,1,-2\n1e-3,0,3\r\n\n2,2,0.25\n");
  const Dataset classes = load_csv(dir / "train.csv", "label", Task::classification);
  EXPECT_EQ(classes.size(), 3);
  EXPECT_EQ(classes.sample_shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(classes.features, (std::vector<float>{0.5f, -2.0f, 1e-3f, 3.0f, 2.0f, 0.25f}));
  EXPECT_EQ(classes.labels, (std::vector<std::int64_t>{1, 0, 2}));
  EXPECT_EQ(classes.num_classes, 3);
  const Dataset regression = load_csv(dir / "train.csv", "x2", Task::regression);
  EXPECT_EQ(regression.targets, (std::vector<float>{-2.0f, 3.0f, 0.25f}));

  auto fault = [&](const std::string& text, const std::string& target = "label") {
    testing::write_file(dir / "bad.csv", text);
    try {
      load_csv(dir / "bad.csv", target, Task::classification);
    } catch (const DataError& error) {
      return std::string(error.what());
    }
    return std::string("read");
  };
  using ::testing::HasSubstr;
  EXPECT_THAT(fault("a,b\n1,2\n"), HasSubstr("no column 'label' (columns: a, b)"));
  EXPECT_THAT(fault("a,label\n1,2\n3,x\n"), HasSubstr("bad.csv:3: column 'label': 'x' is not a finite number"));
  EXPECT_THAT(fault("a,label\n1,2,3\n"), HasSubstr("bad.csv:2: 3 fields where the header has 2"));
  EXPECT_THAT(fault("a,label\n1,0.5\n"), HasSubstr("class label '0.5' is not an integer"));
  EXPECT_THAT(fault("a,label\n"), HasSubstr("no rows after the header"));
  EXPECT_THAT(fault(""), HasSubstr("empty"));
}

}  // namespace
}  // namespace descent::data
