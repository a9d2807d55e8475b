// Data-parallel gradients for the training loop: every batch is split into one contiguous shard
// per worker; each local worker runs forward and backward on its shard, the gradients go through
// the configured compressor and error feedback (comm/exchange.hpp), and the aggregate lands in
// the parameters' .grad, where the optimizer finds it. With an uncompressed exchange the result
// is the whole batch's gradient, as a single worker would compute it up to summation order.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "descent/comm/exchange.hpp"
#include "descent/models/models.hpp"

namespace descent::train {

using LossFunction = std::function<torch::Tensor(const torch::Tensor& output, const torch::Tensor& target)>;

class DataParallel {
public:
  DataParallel(const comm::ExchangeConfig& config, models::Model& model, comm::Transport& transport);

  // The batch's mean loss over all workers; afterwards each parameter's .grad holds the
  // aggregate gradient. Every process returns the same value, and `stop` is true on all of them
  // when it was true on any (an interrupt on one rank stops them all at the same step).
  double gradient(const torch::Tensor& x, const torch::Tensor& y, const LossFunction& loss, std::int64_t round, bool& stop);

  double last_bits_per_worker() const { return exchange_.last_bits_per_worker(); }
  double total_bits_per_worker() const { return exchange_.total_bits_per_worker(); }
  double dense_bits_per_worker() const { return exchange_.dense_bits_per_worker(); }
  double last_exchange_seconds() const { return exchange_seconds_; }
  std::size_t workers() const { return exchange_.workers(); }

  // True on every rank when `flag` is true on any.
  bool agree(bool flag) const;
  // Throws when the ranks' parameters are not bit-identical (they must be, by construction).
  void check_replicas_agree(models::Model& model) const;

  // Feedback state (residuals, g_i, g) and the bit count, for checkpoints; per rank.
  void save(torch::serialize::OutputArchive& archive);
  void load(torch::serialize::InputArchive& archive);

private:
  void flatten_gradients(std::vector<float>& into, double scale) const;
  void scatter_aggregate();

  comm::GradientExchange<float> exchange_;
  comm::Transport& transport_;
  std::vector<torch::Tensor> parameters_;
  std::size_t dimension_ = 0;
  std::vector<std::vector<float>> local_gradients_;
  std::vector<float> aggregate_;
  double exchange_seconds_ = 0.0;
};

std::size_t parameter_count(models::Model& model);

}  // namespace descent::train
