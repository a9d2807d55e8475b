#include "descent/matching/weight_matching.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "descent/data/tensors.hpp"
#include "descent/matching/linear_assignment.hpp"
#include "descent/models/models.hpp"

namespace descent::matching {
namespace {

// The permutations acting on one parameter: (axis, block, permutation index).
struct AxisUse {
  std::int64_t axis = 0, block = 1;
  std::size_t permutation = 0;
};
using Uses = std::map<std::string, std::vector<AxisUse>>;

Uses uses_by_parameter(const PermutationSpec& spec) {
  Uses uses;
  for (std::size_t p = 0; p < spec.size(); ++p) {
    for (const PermutedAxis& axis : spec[p].axes) uses[axis.parameter].push_back({axis.axis, axis.block, p});
  }
  return uses;
}

// The axis viewed as (units, block), split out so that index_select moves whole blocks.
torch::Tensor split_axis(const torch::Tensor& t, std::int64_t axis, std::int64_t block) {
  std::vector<std::int64_t> shape(t.sizes().begin(), t.sizes().end());
  shape[static_cast<std::size_t>(axis)] /= block;
  shape.insert(shape.begin() + axis + 1, block);
  return t.reshape(shape);
}

torch::Tensor permute_axis(const torch::Tensor& t, std::int64_t axis, std::int64_t block, const std::vector<std::int64_t>& order) {
  const torch::Tensor index = torch::tensor(order, torch::kInt64);
  return split_axis(t, axis, block).index_select(axis, index).reshape(t.sizes());
}

// One row per unit of the axis: the axis first, everything else flattened, in float64.
torch::Tensor unit_rows(const torch::Tensor& t, std::int64_t axis, std::int64_t block) {
  const torch::Tensor split = split_axis(t, axis, block);
  return split.movedim(axis, 0).reshape({split.size(axis), -1}).to(torch::kFloat64);
}

// B's parameter with every permutation applied except the one on `skipped_axis` (-1: none).
torch::Tensor permuted(const Uses& uses, const NamedParameters& parameters, const Permutations& permutations, const std::string& name,
                       std::int64_t skipped_axis) {
  torch::Tensor t = parameters.at(name);
  const auto found = uses.find(name);
  if (found == uses.end()) return t;
  for (const AxisUse& use : found->second) {
    if (use.axis != skipped_axis) t = permute_axis(t, use.axis, use.block, permutations[use.permutation]);
  }
  return t;
}

std::vector<std::size_t> shuffled(std::size_t n, Rng& rng) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

// sum over the axes permutation p acts on of A's unit rows times B's (others applied): entry
// (i, j) is how much A's unit i and B's unit j agree.
torch::Tensor agreement(const PermutationSpec& spec, std::size_t p, const Uses& uses, const NamedParameters& a, const NamedParameters& b,
                        const Permutations& permutations) {
  torch::Tensor matrix = torch::zeros({spec[p].size, spec[p].size}, torch::kFloat64);
  for (const PermutedAxis& axis : spec[p].axes) {
    const torch::Tensor rows_a = unit_rows(a.at(axis.parameter), axis.axis, axis.block);
    const torch::Tensor rows_b = unit_rows(permuted(uses, b, permutations, axis.parameter, axis.axis), axis.axis, axis.block);
    matrix += torch::matmul(rows_a, rows_b.t());
  }
  return matrix.contiguous();
}

void check_same_parameters(const NamedParameters& a, const NamedParameters& b) {
  for (const auto& [name, tensor] : a) {
    const auto found = b.find(name);
    if (found == b.end() || !found->second.sizes().equals(tensor.sizes())) {
      throw ConfigError(fmt::format("weight matching: parameter '{}' differs between the two models", name));
    }
  }
  if (a.size() != b.size()) throw ConfigError("weight matching: the two models have different parameters");
}

Permutation layer_permutation(const std::string& layer, std::int64_t size, const std::string& next, std::int64_t block = 1) {
  return {layer, size, {{layer + ".weight", 0, 1}, {layer + ".bias", 0, 1}, {next + ".weight", 1, block}}};
}

}  // namespace

PermutationSpec permutation_spec(const models::Model& model) {
  if (const auto* mlp = dynamic_cast<const models::Mlp*>(&model)) {
    if (!mlp->norms.empty()) throw ConfigError("weight matching: an MLP with batch normalization (its statistics would move too)");
    PermutationSpec spec;
    for (std::size_t l = 0; l + 1 < mlp->layers.size(); ++l) {
      spec.push_back(layer_permutation(fmt::format("fc{}", l + 1), mlp->layers[l]->options.out_features(), fmt::format("fc{}", l + 2)));
    }
    return spec;
  }
  if (const auto* cnn = dynamic_cast<const models::Cnn*>(&model)) {
    const std::int64_t channels = cnn->conv2->options.out_channels();
    return {layer_permutation("conv1", cnn->conv1->options.out_channels(), "conv2"),
            layer_permutation("conv2", channels, "fc", cnn->fc->options.in_features() / channels)};
  }
  throw ConfigError("weight matching: the permutation symmetries are known for descent's mlp and cnn models only");
}

NamedParameters named_parameters(const models::Model& model) {
  NamedParameters out;
  for (const auto& item : model.named_parameters()) out[item.key()] = item.value().detach().clone();
  return out;
}

void load_parameters(models::Model& model, const NamedParameters& parameters) {
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters()) {
    const auto found = parameters.find(item.key());
    if (found == parameters.end() || !found->second.sizes().equals(item.value().sizes())) {
      throw ConfigError(fmt::format("parameters: '{}' is missing or of another shape", item.key()));
    }
    item.value().copy_(found->second);
  }
}

Permutations identity_permutations(const PermutationSpec& spec) {
  Permutations out;
  for (const Permutation& p : spec) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(p.size));
    for (std::int64_t i = 0; i < p.size; ++i) order[static_cast<std::size_t>(i)] = i;
    out.push_back(order);
  }
  return out;
}

NamedParameters apply_permutations(const PermutationSpec& spec, const NamedParameters& parameters, const Permutations& permutations) {
  const Uses uses = uses_by_parameter(spec);
  NamedParameters out;
  for (const auto& [name, tensor] : parameters) out[name] = permuted(uses, parameters, permutations, name, -1);
  return out;
}

double inner_product(const NamedParameters& a, const NamedParameters& b) {
  double sum = 0.0;
  for (const auto& [name, tensor] : a) sum += (tensor.to(torch::kFloat64) * b.at(name).to(torch::kFloat64)).sum().item<double>();
  return sum;
}

double distance(const NamedParameters& a, const NamedParameters& b) {
  double sum = 0.0;
  for (const auto& [name, tensor] : a) sum += (tensor.to(torch::kFloat64) - b.at(name).to(torch::kFloat64)).pow(2).sum().item<double>();
  return std::sqrt(sum);
}

WeightMatchingResult weight_matching(const PermutationSpec& spec, const NamedParameters& a, const NamedParameters& b, std::uint64_t seed,
                                     std::int64_t max_sweeps) {
  check_same_parameters(a, b);
  const Uses uses = uses_by_parameter(spec);
  WeightMatchingResult result{identity_permutations(spec), {inner_product(a, b)}, 0};
  Rng rng(seed);
  for (std::int64_t sweep = 0; sweep < max_sweeps; ++sweep) {
    bool progress = false;
    for (const std::size_t p : shuffled(spec.size(), rng)) {
      const torch::Tensor matrix = agreement(spec, p, uses, a, b, result.permutations);
      const std::int64_t n = spec[p].size;
      const Assignment best = maximum_weight_assignment({matrix.data_ptr<double>(), static_cast<std::size_t>(n * n)}, n);
      double current = 0.0;
      for (std::int64_t i = 0; i < n; ++i) current += matrix[i][result.permutations[p][static_cast<std::size_t>(i)]].item<double>();
      progress = progress || best.total > current + 1e-12;
      result.permutations[p] = best.column_of_row;
    }
    ++result.sweeps;
    result.objective.push_back(inner_product(a, apply_permutations(spec, b, result.permutations)));
    if (!progress) break;
  }
  return result;
}

Barrier linear_path_barrier(models::Model& model, const NamedParameters& a, const NamedParameters& b, std::int64_t points,
                            const std::function<std::pair<double, double>(models::Model&)>& evaluate) {
  if (points < 2) throw ConfigError(fmt::format("barrier: {} points on the path (at least 2)", points));
  check_same_parameters(a, b);
  Barrier barrier;
  for (std::int64_t k = 0; k < points; ++k) {
    const double lambda = static_cast<double>(k) / static_cast<double>(points - 1);
    NamedParameters mixed;
    for (const auto& [name, tensor] : a) mixed[name] = (1.0 - lambda) * tensor + lambda * b.at(name);
    load_parameters(model, mixed);
    const auto [loss, accuracy] = evaluate(model);
    barrier.path.push_back({lambda, loss, accuracy});
  }
  const PathPoint &start = barrier.path.front(), &end = barrier.path.back();
  for (const PathPoint& point : barrier.path) {
    barrier.loss = std::max(barrier.loss, point.loss - ((1 - point.lambda) * start.loss + point.lambda * end.loss));
    barrier.accuracy = std::max(barrier.accuracy, (1 - point.lambda) * start.accuracy + point.lambda * end.accuracy - point.accuracy);
  }
  return barrier;
}

std::pair<double, double> cross_entropy_and_accuracy(models::Model& model, const data::LabeledTensors& split) {
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = model.forward(split.features);
  return {torch::nn::functional::cross_entropy(logits, split.targets).item<double>(),
          logits.argmax(1).eq(split.targets).to(torch::kFloat64).mean().item<double>()};
}

std::vector<std::string> weight_names(const PermutationSpec& spec, const NamedParameters& parameters) {
  std::vector<std::string> names;
  for (const Permutation& p : spec) {
    for (const PermutedAxis& axis : p.axes) {
      const bool weight = axis.parameter.size() > 7 && axis.parameter.ends_with(".weight");
      if (weight && parameters.count(axis.parameter) && std::find(names.begin(), names.end(), axis.parameter) == names.end()) {
        names.push_back(axis.parameter);
      }
    }
  }
  return names;
}

torch::Tensor as_matrix(const torch::Tensor& weight) { return weight.reshape({weight.size(0), -1}).to(torch::kFloat64); }

double singular_vector_alignment(const torch::Tensor& weight_a, const torch::Tensor& weight_b, std::int64_t top) {
  const auto [u_a, s_a, vh_a] = torch::linalg_svd(as_matrix(weight_a), false);
  const auto [u_b, s_b, vh_b] = torch::linalg_svd(as_matrix(weight_b), false);
  const std::int64_t k = std::min(top, s_a.size(0));
  const torch::Tensor left = (u_a.slice(1, 0, k) * u_b.slice(1, 0, k)).sum(0).abs();
  const torch::Tensor right = (vh_a.slice(0, 0, k) * vh_b.slice(0, 0, k)).sum(1).abs();
  const torch::Tensor weights = s_a.slice(0, 0, k);
  return ((weights * left * right).sum() / weights.sum()).item<double>();
}

}  // namespace descent::matching
