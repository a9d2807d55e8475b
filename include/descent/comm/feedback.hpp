// How workers turn their gradients into compressed messages and how the server folds the messages
// into the gradient every replica applies. One file per mechanism under src/comm/feedback/:
//   none   - each worker sends C(g_i); the aggregate is sum_i w_i C(g_i)
//   ef     - classic error feedback (Seide et al., "1-bit SGD", Interspeech 2014): the worker
//            compresses g_i + e_i and keeps the residual e_i <- g_i + e_i - C(g_i + e_i)
//   ef21   - EF21 (Richtarik, Sokolov, Fatkhullin, NeurIPS 2021): the worker keeps g_i and sends
//            c_i = C(grad_i - g_i), g_i <- g_i + c_i; the server keeps g <- g + (1/n) sum_i c_i
//   ef21-w - EF21-W (Richtarik, Gasanov, Burlachenko, ICLR 2024): weights w_i = L_i / sum_j L_j;
//            the worker compresses grad_i / (n w_i) - g_i and the server forms g = sum_i w_i g_i
//   ef21-sgdm - EF21-SGDM (Fatkhullin, Tyurin, Richtarik, NeurIPS 2023): EF21 on a momentum average
//            v_i <- (1 - eta) v_i + eta grad_i, compressing v_i - g_i; the model steps without momentum
// EF21 starts from g_i = grad_i(x^0) sent uncompressed, as its reference code does.
// The server side runs on every rank (all ranks see all messages), so no broadcast is needed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "descent/comm/compressor.hpp"

namespace descent::comm {

enum class Feedback { none, ef, ef21, ef21_w, ef21_sgdm };

Feedback parse_feedback(const std::string& name);  // throws ConfigError naming the known ones
std::string feedback_name(Feedback feedback);
const std::vector<std::string>& feedback_names();

struct Message {
  std::vector<std::uint8_t> bytes;
  std::uint64_t bits = 0;  // exact payload size; bytes holds ceil(bits / 8)
};

// The seed of worker `worker`'s compression randomness in round `round`: sender and receiver
// derive the same one.
std::uint64_t message_seed(std::uint64_t seed, std::size_t worker, std::int64_t round);

// What persists between rounds, saved in checkpoints: a residual (ef), g_i (ef21 worker) or g
// (ef21 server), and whether the first round has happened.
template <typename T>
struct FeedbackState {
  std::vector<T> vector;
  bool started = false;
};

template <typename T>
class WorkerFeedback {
public:
  WorkerFeedback(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension)
      : compressor_(std::move(compressor)), scratch_(dimension) {}
  virtual ~WorkerFeedback() = default;
  // The round's message from this worker's gradient.
  virtual Message send(std::span<const T> gradient, std::uint64_t seed) = 0;
  FeedbackState<T>& state() { return state_; }
  const FeedbackState<T>& state() const { return state_; }

protected:
  Message encode(std::span<const T> x, std::uint64_t seed, std::span<T> dense) const;
  Message encode_uncompressed(std::span<const T> x) const;

  std::shared_ptr<const Compressor<T>> compressor_;
  FeedbackState<T> state_;
  std::vector<T> scratch_;
};

template <typename T>
class ServerFeedback {
public:
  ServerFeedback(std::shared_ptr<const Compressor<T>> compressor, std::vector<double> weights, std::size_t dimension)
      : compressor_(std::move(compressor)), weights_(std::move(weights)), decoded_(dimension) {}
  virtual ~ServerFeedback() = default;
  // Folds every worker's message (in worker order, seeds alike) into the aggregate gradient.
  virtual void receive(std::span<const Message> messages, std::span<const std::uint64_t> seeds, std::span<T> aggregate) = 0;
  FeedbackState<T>& state() { return state_; }
  const FeedbackState<T>& state() const { return state_; }

protected:
  // aggregate <- sum_i w_i C_i, decoding each message with `uncompressed` or the compressor.
  void weighted_sum(std::span<const Message> messages, std::span<const std::uint64_t> seeds, bool uncompressed,
                    std::span<T> aggregate);
  // accumulator <- accumulator + sum_i w_i C_i (sparse compressors touch only what they sent).
  void add_weighted(std::span<const Message> messages, std::span<const std::uint64_t> seeds, bool uncompressed,
                    std::span<T> accumulator);

  std::shared_ptr<const Compressor<T>> compressor_;
  std::vector<double> weights_;  // w_i, summing to 1
  FeedbackState<T> state_;
  std::vector<T> decoded_;
};

// Worker `index` of `weights.size()` workers; weights sum to 1 (uniform but for ef21-w).
// `momentum` is EF21-SGDM's eta (the other mechanisms ignore it).
template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_worker_feedback(Feedback feedback, std::shared_ptr<const Compressor<T>> compressor,
                                                        std::size_t dimension, std::size_t index,
                                                        const std::vector<double>& weights, double momentum = 0.0);
template <typename T>
std::unique_ptr<ServerFeedback<T>> make_server_feedback(Feedback feedback, std::shared_ptr<const Compressor<T>> compressor,
                                                        std::size_t dimension, const std::vector<double>& weights);

// Normalized weights: EF21-W's w_i = L_i / sum_j L_j from the given smoothness constants (all > 0,
// or empty for uniform); the other mechanisms always use 1/n.
std::vector<double> feedback_weights(Feedback feedback, std::size_t workers, const std::vector<double>& smoothness);

}  // namespace descent::comm
