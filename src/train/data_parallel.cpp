#include "data_parallel.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "descent/core/error.hpp"
#include "descent/core/hash.hpp"

namespace descent::train {

std::size_t parameter_count(models::Model& model) {
  std::size_t count = 0;
  for (const auto& p : model.parameters()) count += static_cast<std::size_t>(p.numel());
  return count;
}

DataParallel::DataParallel(const comm::ExchangeConfig& config, models::Model& model, comm::Transport& transport)
    : exchange_(config, parameter_count(model), transport),
      transport_(transport),
      parameters_(model.parameters()),
      dimension_(parameter_count(model)),
      local_gradients_(exchange_.local_workers(), std::vector<float>(dimension_)),
      aggregate_(dimension_) {}

void DataParallel::flatten_gradients(std::vector<float>& into, double scale) const {
  std::size_t offset = 0;
  for (const auto& p : parameters_) {
    const auto n = static_cast<std::size_t>(p.numel());
    if (p.grad().defined()) {
      const torch::Tensor grad = p.grad().contiguous();
      const float* data = grad.data_ptr<float>();
      const auto factor = static_cast<float>(scale);
      for (std::size_t j = 0; j < n; ++j) into[offset + j] = data[j] * factor;
    } else {
      std::fill(into.begin() + static_cast<std::ptrdiff_t>(offset), into.begin() + static_cast<std::ptrdiff_t>(offset + n), 0.0f);
    }
    offset += n;
  }
}

void DataParallel::scatter_aggregate() {
  std::size_t offset = 0;
  torch::NoGradGuard no_grad;
  for (auto& p : parameters_) {
    const auto n = static_cast<std::size_t>(p.numel());
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    const torch::Tensor source = torch::from_blob(aggregate_.data() + offset, p.sizes(), torch::kFloat32);
    p.mutable_grad().copy_(source);
    offset += n;
  }
}

double DataParallel::gradient(const torch::Tensor& x, const torch::Tensor& y, const LossFunction& loss, std::int64_t round,
                              bool& stop) {
  const std::int64_t batch = x.size(0);
  const auto workers = static_cast<std::int64_t>(exchange_.workers());
  double loss_sum = 0.0;
  for (std::size_t k = 0; k < exchange_.local_workers(); ++k) {
    // Worker w's shard is [w B / W, (w + 1) B / W): the shards tile the batch.
    const auto w = static_cast<std::int64_t>(exchange_.first_local_worker() + k);
    const std::int64_t begin = w * batch / workers, end = (w + 1) * batch / workers;
    for (auto& p : parameters_) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
    if (end > begin) {
      const torch::Tensor shard_loss = loss(x.slice(0, begin, end), y.slice(0, begin, end));
      shard_loss.backward();
      loss_sum += shard_loss.item<double>() * static_cast<double>(end - begin);
    }
    // Scaled so that the plain mean over workers is the batch-mean gradient, whatever the shard sizes.
    flatten_gradients(local_gradients_[k], static_cast<double>((end - begin) * workers) / static_cast<double>(batch));
  }
  double shared[2] = {loss_sum, stop ? 1.0 : 0.0};
  transport_.allreduce_sum(std::span<double>(shared, 2));
  stop = shared[1] > 0.0;
  const double mean_loss = shared[0] / static_cast<double>(batch);
  if (!std::isfinite(mean_loss)) return mean_loss;  // every rank sees it and stops here
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::span<const float>> views(local_gradients_.begin(), local_gradients_.end());
  exchange_.exchange(views, round, aggregate_);
  exchange_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  scatter_aggregate();
  return mean_loss;
}

bool DataParallel::agree(bool flag) const {
  double value = flag ? 1.0 : 0.0;
  transport_.allreduce_sum(std::span<double>(&value, 1));
  return value > 0.0;
}

void DataParallel::check_replicas_agree(models::Model& model) const {
  Fnv1a hash;  // over the parameters' bytes
  for (const auto& p : model.parameters()) {
    const torch::Tensor values = p.detach().contiguous();
    hash.add(values.data_ptr(), static_cast<std::size_t>(values.nbytes()));
  }
  const auto hashes = transport_.allgather_value(hash.value());
  for (std::size_t r = 1; r < hashes.size(); ++r) {
    if (hashes[r] != hashes[0]) {
      throw Error(ExitCode::runtime_failure, fmt::format("data-parallel replicas disagree: rank {}'s parameters differ from rank 0's", r));
    }
  }
}

void DataParallel::save(torch::serialize::OutputArchive& archive) {
  const auto states = exchange_.states();
  for (std::size_t i = 0; i < states.size(); ++i) {
    auto& state = *states[i];
    const auto size = static_cast<std::int64_t>(state.vector.size());
    archive.write(fmt::format("state{}", i),
                  size == 0 ? torch::empty({0}) : torch::from_blob(state.vector.data(), {size}, torch::kFloat32).clone());
    archive.write(fmt::format("started{}", i), c10::IValue(state.started));
  }
  archive.write("total_bits", c10::IValue(exchange_.total_bits_per_worker()));
}

void DataParallel::load(torch::serialize::InputArchive& archive) {
  const auto states = exchange_.states();
  for (std::size_t i = 0; i < states.size(); ++i) {
    auto& state = *states[i];
    torch::Tensor vector;
    archive.read(fmt::format("state{}", i), vector);
    if (static_cast<std::size_t>(vector.numel()) != state.vector.size()) {
      throw std::runtime_error(fmt::format("feedback state {} has {} values, expected {}", i, vector.numel(), state.vector.size()));
    }
    if (vector.numel() > 0) state.vector.assign(vector.data_ptr<float>(), vector.data_ptr<float>() + vector.numel());
    c10::IValue started;
    archive.read(fmt::format("started{}", i), started);
    state.started = started.toBool();
  }
  c10::IValue total_bits;
  archive.read("total_bits", total_bits);
  exchange_.restore_totals(total_bits.toDouble());
}

}  // namespace descent::train
