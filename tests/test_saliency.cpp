// Saliency maps, the pointing game, DiffROAR's masks and the attribution data sets: gradients
// against finite differences and closed forms, NormGrad's identities, maps against direct formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "descent/core/error.hpp"
#include "descent/data/composite_images.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/saliency/pointing_game.hpp"
#include "descent/saliency/roar.hpp"
#include "descent/saliency/saliency.hpp"

namespace descent::saliency {
namespace {

// A float64 CNN on 16x16 images (conv1 12x12, pool1 6x6, conv2 2x2, pool2 1x1) and a batch of 3.
struct Fixture {
  std::shared_ptr<models::Cnn> model;
  torch::Tensor x, classes;
};

Fixture make_fixture() {
  torch::manual_seed(11);
  Fixture f;
  f.model = std::make_shared<models::Cnn>(std::vector<std::int64_t>{1, 16, 16}, 4);
  f.model->to(torch::kFloat64);
  torch::Generator generator = at::detail::createCPUGenerator(12);
  f.x = torch::rand({3, 1, 16, 16}, generator, torch::kFloat64);
  f.classes = torch::tensor({0, 3, 1}, torch::kLong);
  return f;
}

double class_score(models::Model& model, const torch::Tensor& x, std::int64_t example, std::int64_t c) {
  torch::NoGradGuard no_grad;
  return model.forward(x)[example][c].item<double>();
}

TEST(Saliency, LogitGradientMatchesFiniteDifferences) {
  Fixture f = make_fixture();
  const torch::Tensor gradient = logit_gradient(*f.model, f.x, f.classes);
  constexpr double h = 1e-6;
  for (std::int64_t b = 0; b < 3; ++b) {
    const std::int64_t c = f.classes[b].item<std::int64_t>();
    for (std::int64_t pixel : {0, 37, 120, 255}) {
      torch::Tensor up = f.x.clone(), down = f.x.clone();
      up[b][0].view(-1)[pixel] += h;
      down[b][0].view(-1)[pixel] -= h;
      const double numeric = (class_score(*f.model, up, b, c) - class_score(*f.model, down, b, c)) / (2 * h);
      EXPECT_NEAR(gradient[b][0].view(-1)[pixel].item<double>(), numeric, 1e-8) << b << "," << pixel;
    }
  }
  EXPECT_TRUE(torch::equal(gradient_times_input(*f.model, f.x, f.classes), f.x * gradient));
  for (const auto& p : f.model->parameters()) EXPECT_FALSE(p.grad().defined());
}

// The last layer is linear: d logit_c / d pool2 is row c of fc's weight, in pool2's shape.
TEST(Saliency, LayerGradientAtTheLastPoolIsTheReadOutRow) {
  Fixture f = make_fixture();
  const auto layers = layer_gradients(*f.model, f.x, f.classes, {"conv1", "pool2"});
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].activation.sizes(), (std::vector<std::int64_t>{3, 16, 12, 12}));
  const torch::Tensor weight = f.model->fc->weight.detach();
  for (std::int64_t b = 0; b < 3; ++b) {
    const torch::Tensor expected = weight[f.classes[b].item<std::int64_t>()].reshape({32, 1, 1});
    EXPECT_LT((layers[1].gradient[b] - expected).abs().max().item<double>(), 1e-15);
  }
  EXPECT_THROW(layer_gradients(*f.model, f.x, f.classes, {"conv3"}), ConfigError);
}

TEST(Saliency, NormGradIsTheProductOfActivationAndGradientNorms) {
  Fixture f = make_fixture();
  for (const auto& layer : layer_gradients(*f.model, f.x, f.classes, {"conv1", "pool1", "conv2"})) {
    const torch::Tensor expected = layer.activation.norm(2, 1) * layer.gradient.norm(2, 1);
    const torch::Tensor map = normgrad(layer, VirtualIdentity::conv1x1, Aggregation::norm);
    EXPECT_LT(((map - expected).abs() / expected.abs().clamp_min(1e-300)).max().item<double>(), 1e-12) << layer.layer;
  }
}

// conv1x1's entries are every product a_i g_j: their sum is (sum a)(sum g), and their diagonal is
// scaling's a (.) g, so the specs' "conv1x1 + sum = scaling + sum" holds for the diagonal (trace) only.
TEST(Saliency, VirtualIdentitiesAgreeWhereTheyShareEntries) {
  Fixture f = make_fixture();
  const LayerGradient layer = layer_gradients(*f.model, f.x, f.classes, {"pool1"})[0];
  const torch::Tensor outer = virtual_identity_gradient(layer, VirtualIdentity::conv1x1);  // {B, C*C, H, W}
  const std::int64_t channels = layer.activation.size(1);
  const torch::Tensor as_matrix = outer.reshape({3, channels, channels, 6, 6});
  const torch::Tensor trace = as_matrix.diagonal(0, 1, 2).sum(-1);
  const torch::Tensor scaling_sum = normgrad(layer, VirtualIdentity::scaling, Aggregation::sum);
  EXPECT_LT((trace - scaling_sum).abs().max().item<double>(), 1e-14);
  const torch::Tensor product_of_sums = layer.activation.sum(1) * layer.gradient.sum(1);
  EXPECT_LT((normgrad(layer, VirtualIdentity::conv1x1, Aggregation::sum) - product_of_sums).abs().max().item<double>(), 1e-12);
  EXPECT_TRUE(torch::equal(normgrad(layer, VirtualIdentity::bias, Aggregation::sum), layer.gradient.sum(1)));
  // conv3x3's centre tap (entry 4 of the 3x3 neighbourhood) is conv1x1.
  const torch::Tensor neighbourhood = virtual_identity_gradient(layer, VirtualIdentity::conv3x3).reshape({3, channels, 9, channels, 6, 6});
  EXPECT_TRUE(torch::equal(neighbourhood.select(2, 4).reshape({3, channels * channels, 6, 6}), outer));
  // filter_norm and max on the explicit entries.
  EXPECT_TRUE(torch::equal(normgrad(layer, VirtualIdentity::conv1x1, Aggregation::filter_norm), outer.clamp_min(0).norm(2, 1)));
  EXPECT_TRUE(torch::equal(normgrad(layer, VirtualIdentity::conv1x1, Aggregation::max), std::get<0>(outer.max(1))));
}

TEST(Saliency, GradCamWeighsChannelsByTheirMeanGradient) {
  LayerGradient layer{"hand", torch::zeros({1, 2, 1, 2}, torch::kFloat64), torch::zeros({1, 2, 1, 2}, torch::kFloat64)};
  layer.activation[0][0][0] = torch::tensor({1.0, 2.0}, torch::kFloat64);
  layer.activation[0][1][0] = torch::tensor({3.0, -1.0}, torch::kFloat64);
  layer.gradient[0][0][0] = torch::tensor({0.5, 1.5}, torch::kFloat64);   // mean 1
  layer.gradient[0][1][0] = torch::tensor({-1.0, -3.0}, torch::kFloat64);  // mean -2
  // 1 * (1, 2) - 2 * (3, -1) = (-5, 4), then ReLU.
  const torch::Tensor map = grad_cam(layer);
  EXPECT_DOUBLE_EQ(map[0][0][0].item<double>(), 0.0);
  EXPECT_DOUBLE_EQ(map[0][0][1].item<double>(), 4.0);
}

TEST(Saliency, UpsampledMapsAreBilinearAndScaledToTheUnitInterval) {
  // A 1x2 map (0, 1) to 1x4: align_corners false puts samples at 0, 0.25, 0.75, 1 of the way.
  const torch::Tensor map = torch::tensor({0.0, 2.0}, torch::kFloat64).reshape({1, 1, 2});
  const torch::Tensor up = upsample_normalized(map, 1, 4);
  const std::vector<double> expected = {0.0, 0.25, 0.75, 1.0};
  for (int q = 0; q < 4; ++q) EXPECT_NEAR(up[0][0][q].item<double>(), expected[static_cast<std::size_t>(q)], 1e-15);
  EXPECT_TRUE(torch::equal(upsample_normalized(torch::full({1, 2, 2}, 3.0, torch::kFloat64), 4, 4), torch::zeros({1, 4, 4}, torch::kFloat64)));
  const torch::Tensor product = combine({map, torch::tensor({2.0, 0.0}, torch::kFloat64).reshape({1, 1, 2})}, 1, 4);
  for (int q = 0; q < 4; ++q) EXPECT_NEAR(product[0][0][q].item<double>(), expected[q] * expected[3 - q], 1e-15);
}

TEST(PointingGame, HitsWithinTheToleranceOfTheBox) {
  const data::PixelBox box{2, 3, 5, 6};  // rows 2..4, columns 3..5
  EXPECT_TRUE(points_at({3, 4}, box, 0.0));
  EXPECT_FALSE(points_at({3, 6}, box, 1.0));  // one pixel right of column 5: distance 1, not < 1
  EXPECT_TRUE(points_at({3, 6}, box, 1.5));
  EXPECT_FALSE(points_at({3, 7}, box, 1.5));
  EXPECT_FALSE(points_at({0, 0}, box, 3.6));  // distance sqrt(4 + 9) = 3.606
  EXPECT_TRUE(points_at({0, 0}, box, 3.61));
  // Two 3x3 maps: the first peaks inside its box, the second outside.
  std::vector<float> maps(18, 0.0f);
  maps[4] = 1.0f;        // (1, 1)
  maps[9 + 8] = 1.0f;    // (2, 2)
  const std::vector<data::PixelBox> boxes = {{1, 1, 2, 2}, {0, 0, 1, 1}};
  EXPECT_DOUBLE_EQ(pointing_game(maps, 3, 3, boxes, 0.0), 0.5);
  // A 1x1 box in a 3x3 map at tolerance 0: 1/9 of random points hit; at 1.5 its 8 neighbours too.
  EXPECT_DOUBLE_EQ(random_pointing_rate(3, 3, {{1, 1, 2, 2}}, 0.0), 1.0 / 9.0);
  EXPECT_DOUBLE_EQ(random_pointing_rate(3, 3, {{1, 1, 2, 2}}, 1.5), 1.0);
  EXPECT_THROW(pointing_game(maps, 3, 3, {box}, 0.0), ConfigError);
}

TEST(DiffRoar, KeepsTheTopOrBottomFractionByMagnitude) {
  data::Dataset dataset;
  dataset.name = "two";
  dataset.sample_shape = {4};
  dataset.features = {1, 2, 3, 4, 5, 6, 7, 8};
  dataset.labels = {0, 1};
  dataset.num_classes = 2;
  const std::vector<float> attribution = {0.1f, -0.9f, 0.5f, 0.0f, 3, 2, -1, 0.5f};
  const data::Dataset top = keep_by_attribution(dataset, attribution, 0.5, Kept::top, -1.0f);
  EXPECT_EQ(top.features, (std::vector<float>{-1, 2, 3, -1, 5, 6, -1, -1}));
  const data::Dataset bottom = keep_by_attribution(dataset, attribution, 0.25, Kept::bottom, 0.0f);
  EXPECT_EQ(bottom.features, (std::vector<float>{0, 0, 0, 4, 0, 0, 0, 8}));
  EXPECT_EQ(bottom.labels, dataset.labels);
  EXPECT_THROW(keep_by_attribution(dataset, std::vector<float>(3), 0.5, Kept::top, 0.0f), ConfigError);
  EXPECT_THROW(keep_by_attribution(dataset, attribution, 1.5, Kept::top, 0.0f), ConfigError);
}

TEST(AttributionData, SignalCoordinateCarriesTheLabelAtTheStatedRates) {
  const data::Splits splits = data::signal_coordinate({.train_size = 20000, .test_size = 10, .features = 10}, 5);
  std::vector<int> counts(10, 0);
  for (std::int64_t i = 0; i < splits.train.size(); ++i) {
    const std::int64_t j = data::signal_coordinate_of(splits.train, i);
    ASSERT_GE(j, 0);
    ++counts[static_cast<std::size_t>(j)];
    const float value = splits.train.features[static_cast<std::size_t>(i * 10 + j)];
    EXPECT_EQ(value, splits.train.labels[static_cast<std::size_t>(i)] == 1 ? 1.0f : -1.0f);
    const float* row = splits.train.features.data() + i * 10;
    EXPECT_EQ(std::count(row, row + 10, 0.0f), 9);
  }
  // Each coordinate has probability 1/10: 2000 expected, binomial sd 42; 5 sd bounds.
  for (int count : counts) EXPECT_NEAR(count, 2000, 212);
}

data::Dataset two_images() {
  data::Dataset images;
  images.name = "two";
  images.sample_shape = {1, 4, 4};
  images.labels = {3, 7};
  images.num_classes = 10;
  for (int i = 0; i < 32; ++i) images.features.push_back(static_cast<float>(i) / 32.0f);
  return images;
}

TEST(AttributionData, BlocksStackTheImageWithTheNullBlock) {
  const data::Dataset images = two_images();
  const data::Dataset pooled = data::average_pooled(images, 2);
  EXPECT_EQ(pooled.sample_shape, (std::vector<std::int64_t>{1, 2, 2}));
  EXPECT_FLOAT_EQ(pooled.features[0], (0 + 1 + 4 + 5) / 4.0f / 32.0f);
  const data::BlockImages blocks = data::block_images(images, 3);
  EXPECT_EQ(blocks.dataset.sample_shape, (std::vector<std::int64_t>{1, 8, 4}));
  EXPECT_EQ(blocks.dataset.labels, images.labels);
  for (std::int64_t i = 0; i < 2; ++i) {
    const float* stacked = blocks.dataset.features.data() + i * 32;
    const float* signal = stacked + (blocks.signal_on_top[static_cast<std::size_t>(i)] ? 0 : 16);
    const float* null = stacked + (blocks.signal_on_top[static_cast<std::size_t>(i)] ? 16 : 0);
    EXPECT_TRUE(std::equal(signal, signal + 16, images.features.data() + i * 16));
    // The null block of a 4x4 image: a 2x2 outline in the middle, i.e. the 4 middle pixels.
    EXPECT_EQ(std::accumulate(null, null + 16, 0.0f), 4.0f);
    EXPECT_EQ(null[5] + null[6] + null[9] + null[10], 4.0f);
  }
  EXPECT_THROW(data::average_pooled(images, 3), ConfigError);
}

TEST(AttributionData, PastedObjectsLieInTheirBoxes) {
  const data::Dataset images = two_images();
  const data::CanvasImages canvas = data::pasted_on_canvas(images, 10, 0.2, 0.25, 4);
  ASSERT_EQ(canvas.boxes.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const data::PixelBox& box = canvas.boxes[i];
    const float* pixels = canvas.dataset.features.data() + i * 100;
    float inside_max = 0.0f, outside_max = 0.0f;
    for (std::int64_t r = 0; r < 10; ++r) {
      for (std::int64_t q = 0; q < 10; ++q) {
        const bool inside = r >= box.top && r < box.bottom && q >= box.left && q < box.right;
        (inside ? inside_max : outside_max) = std::max(inside ? inside_max : outside_max, pixels[r * 10 + q]);
      }
    }
    EXPECT_GT(inside_max, 0.25f);
    EXPECT_LE(outside_max, 0.25f);  // every pixel brighter than the threshold is in the box
    EXPECT_LE(box.bottom - box.top, 4);
  }
}

}  // namespace
}  // namespace descent::saliency
