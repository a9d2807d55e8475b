#include "descent/comm/exchange.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "descent/core/error.hpp"

namespace descent::comm {
namespace {

LocalTransport& local_transport() {
  static LocalTransport transport;
  return transport;
}
Transport* current_world = nullptr;

}  // namespace

Transport& world() { return current_world ? *current_world : local_transport(); }
void set_world(Transport* transport) { current_world = transport; }

template <typename T>
GradientExchange<T>::GradientExchange(const ExchangeConfig& config, std::size_t dimension, Transport& transport)
    : config_(config), dimension_(dimension), transport_(transport) {
  const auto processes = static_cast<std::size_t>(transport.size());
  if (config.workers == 0 || config.workers % processes != 0) {
    throw ConfigError(fmt::format("comm.workers = {}: must be a positive multiple of the {} MPI processes", config.workers,
                                  processes));
  }
  const std::size_t per_process = config.workers / processes;
  first_ = static_cast<std::size_t>(transport.rank()) * per_process;
  weights_ = feedback_weights(config.feedback, config.workers, config.smoothness);
  dense_ = config.compressor.name == "none" && config.feedback == Feedback::none;
  compressor_ = make_compressor<T>(config.compressor, dimension);
  for (std::size_t w = first_; w < first_ + per_process; ++w) {
    workers_.push_back(make_worker_feedback<T>(config.feedback, compressor_, dimension, w, weights_, config.momentum));
  }
  server_ = make_server_feedback<T>(config.feedback, compressor_, dimension, weights_);
}

template <typename T>
void GradientExchange<T>::exchange(std::span<const std::span<const T>> local_gradients, std::int64_t round,
                                   std::span<T> aggregate) {
  if (local_gradients.size() != workers_.size()) throw std::logic_error("exchange: one gradient per local worker");
  if (dense_) {
    // sum_i w_i g_i, the local part in worker order, then across processes.
    std::fill(aggregate.begin(), aggregate.end(), T(0));
    for (std::size_t k = 0; k < local_gradients.size(); ++k) {
      const T weight = static_cast<T>(weights_[first_ + k]);
      for (std::size_t j = 0; j < dimension_; ++j) aggregate[j] += weight * local_gradients[k][j];
    }
    transport_.allreduce_sum(aggregate);
    last_bits_ = dense_bits_per_worker();
    total_bits_ += last_bits_;
    return;
  }
  std::vector<Message> local;
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    local.push_back(workers_[k]->send(local_gradients[k], message_seed(config_.seed, first_ + k, round)));
  }
  const std::vector<Message> messages = transport_.allgather(std::move(local));
  std::vector<std::uint64_t> seeds;
  double bits = 0.0;
  for (std::size_t w = 0; w < messages.size(); ++w) {
    seeds.push_back(message_seed(config_.seed, w, round));
    bits += static_cast<double>(messages[w].bits);
  }
  server_->receive(messages, seeds, aggregate);
  last_bits_ = bits / static_cast<double>(messages.size());
  total_bits_ += last_bits_;
}

template <typename T>
std::vector<FeedbackState<T>*> GradientExchange<T>::states() {
  std::vector<FeedbackState<T>*> states;
  for (auto& worker : workers_) states.push_back(&worker->state());
  states.push_back(&server_->state());
  return states;
}

template class GradientExchange<float>;
template class GradientExchange<double>;

}  // namespace descent::comm
