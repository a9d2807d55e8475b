// Data-parallel gradient exchange: W workers, spread evenly over the transport's processes (all in
// one process for the simulator, one per rank under `mpirun -np W`). Each round every worker
// sends its message, every process decodes all of them in worker order and forms the same
// aggregate, so parameters stay identical on every rank and equal the simulator's.
// Uncompressed exchange without feedback takes a plain allreduce instead of messages.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "descent/comm/compressor.hpp"
#include "descent/comm/feedback.hpp"
#include "descent/comm/transport.hpp"

namespace descent::comm {

struct ExchangeConfig {
  std::size_t workers = 1;
  CompressorSpec compressor;
  Feedback feedback = Feedback::none;
  std::vector<double> smoothness;  // EF21-W's L_i (empty: uniform weights)
  double momentum = 0.1;           // EF21-SGDM's eta
  std::uint64_t seed = 0;          // compression randomness
};

template <typename T>
class GradientExchange {
public:
  // Throws ConfigError when the workers do not divide evenly over the transport's processes.
  GradientExchange(const ExchangeConfig& config, std::size_t dimension, Transport& transport);

  std::size_t workers() const { return config_.workers; }
  std::size_t local_workers() const { return workers_.size(); }
  std::size_t first_local_worker() const { return first_; }
  const std::vector<double>& weights() const { return weights_; }
  bool dense() const { return dense_; }

  // One round: `local_gradients` are this process's workers' gradients, in worker order; the
  // aggregate every process applies is written to `aggregate`.
  void exchange(std::span<const std::span<const T>> local_gradients, std::int64_t round, std::span<T> aggregate);

  // Mean bits a worker sent in the last round, and in all rounds so far (per worker).
  double last_bits_per_worker() const { return last_bits_; }
  double total_bits_per_worker() const { return total_bits_; }
  // What an uncompressed round costs a worker: d values at full precision.
  double dense_bits_per_worker() const { return static_cast<double>(dimension_) * 8.0 * sizeof(T); }

  // State for checkpoints: this process's workers, then the server.
  std::vector<FeedbackState<T>*> states();
  void restore_totals(double total_bits) { total_bits_ = total_bits; }

private:
  ExchangeConfig config_;
  std::size_t dimension_;
  Transport& transport_;
  std::size_t first_ = 0;
  std::vector<double> weights_;
  bool dense_ = false;
  std::shared_ptr<const Compressor<T>> compressor_;
  std::vector<std::unique_ptr<WorkerFeedback<T>>> workers_;
  std::unique_ptr<ServerFeedback<T>> server_;
  double last_bits_ = 0.0, total_bits_ = 0.0;
};

}  // namespace descent::comm
