#include "descent/comm/feedback.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "descent/comm/options.hpp"
#include "descent/core/error.hpp"
#include "descent/core/rng.hpp"
#include "mechanisms.hpp"

namespace descent::comm {

// One name table, kFeedbacks (comm/options.hpp), in the enum's order.
const std::vector<std::string>& feedback_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [value, name] : kFeedbacks) out.emplace_back(name);
    return out;
  }();
  return names;
}

Feedback parse_feedback(const std::string& name) {
  for (const auto& [value, known] : kFeedbacks) {
    if (name == known) return value;
  }
  throw ConfigError(fmt::format("unknown error-feedback mechanism '{}' (known: {})", name, fmt::join(feedback_names(), ", ")));
}

std::string feedback_name(Feedback feedback) { return feedback_names()[static_cast<std::size_t>(feedback)]; }

std::uint64_t message_seed(std::uint64_t seed, std::size_t worker, std::int64_t round) {
  return Rng::derived(Rng::derived(seed, worker).next(), static_cast<std::uint64_t>(round)).next();
}

std::vector<double> feedback_weights(Feedback feedback, std::size_t workers, const std::vector<double>& smoothness) {
  if (feedback != Feedback::ef21_w || smoothness.empty()) return std::vector<double>(workers, 1.0 / static_cast<double>(workers));
  if (smoothness.size() != workers) {
    throw ConfigError(fmt::format("ef21-w: {} smoothness weights for {} workers", smoothness.size(), workers));
  }
  for (const double l : smoothness) {
    if (!(l > 0.0)) throw ConfigError(fmt::format("ef21-w: weight {} must be positive", l));
  }
  const double total = std::accumulate(smoothness.begin(), smoothness.end(), 0.0);
  std::vector<double> weights;
  for (const double l : smoothness) weights.push_back(l / total);
  return weights;
}

template <typename T>
Message WorkerFeedback<T>::encode(std::span<const T> x, std::uint64_t seed, std::span<T> dense) const {
  BitWriter out;
  compressor_->encode(x, seed, out, dense);
  return {out.take(), out.bits()};
}

template <typename T>
Message WorkerFeedback<T>::encode_uncompressed(std::span<const T> x) const {
  BitWriter out;
  for (const T value : x) out.write_value(value);
  return {out.take(), out.bits()};
}

template <typename T>
void ServerFeedback<T>::weighted_sum(std::span<const Message> messages, std::span<const std::uint64_t> seeds, bool uncompressed,
                                     std::span<T> aggregate) {
  std::fill(aggregate.begin(), aggregate.end(), T(0));
  add_weighted(messages, seeds, uncompressed, aggregate);
}

template <typename T>
void ServerFeedback<T>::add_weighted(std::span<const Message> messages, std::span<const std::uint64_t> seeds, bool uncompressed,
                                     std::span<T> accumulator) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    BitReader in(messages[i].bytes);
    const T weight = static_cast<T>(weights_[i]);
    if (uncompressed) {
      for (T& value : accumulator) value += weight * in.read_value<T>();
    } else {
      compressor_->decode_add(in, seeds[i], weight, accumulator, decoded_);
    }
  }
}

template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_worker_feedback(Feedback feedback, std::shared_ptr<const Compressor<T>> compressor,
                                                        std::size_t dimension, std::size_t index,
                                                        const std::vector<double>& weights, double momentum) {
  switch (feedback) {
    case Feedback::none: return make_plain_worker<T>(std::move(compressor), dimension);
    case Feedback::ef: return make_error_feedback_worker<T>(std::move(compressor), dimension);
    case Feedback::ef21:
    case Feedback::ef21_w: {
      // EF21 is EF21-W with w_i = 1/n; its scale n w_i is then exactly 1.
      const double scale = feedback == Feedback::ef21 ? 1.0 : 1.0 / (static_cast<double>(weights.size()) * weights[index]);
      return make_ef21_worker<T>(std::move(compressor), dimension, scale);
    }
    case Feedback::ef21_sgdm: return make_ef21_sgdm_worker<T>(std::move(compressor), dimension, momentum);
  }
  throw std::logic_error("unhandled feedback");
}

template <typename T>
std::unique_ptr<ServerFeedback<T>> make_server_feedback(Feedback feedback, std::shared_ptr<const Compressor<T>> compressor,
                                                        std::size_t dimension, const std::vector<double>& weights) {
  if (feedback == Feedback::ef21 || feedback == Feedback::ef21_w || feedback == Feedback::ef21_sgdm) {
    return make_ef21_server<T>(std::move(compressor), dimension, weights);
  }
  return make_averaging_server<T>(std::move(compressor), dimension, weights);
}

#define DESCENT_INSTANTIATE_FEEDBACK(T)                                                                               \
  template class WorkerFeedback<T>;                                                                                   \
  template class ServerFeedback<T>;                                                                                   \
  template std::unique_ptr<WorkerFeedback<T>> make_worker_feedback<T>(Feedback, std::shared_ptr<const Compressor<T>>, \
                                                                      std::size_t, std::size_t, const std::vector<double>&, \
                                                                      double);                                      \
  template std::unique_ptr<ServerFeedback<T>> make_server_feedback<T>(Feedback, std::shared_ptr<const Compressor<T>>, \
                                                                      std::size_t, const std::vector<double>&);
DESCENT_INSTANTIATE_FEEDBACK(float)
DESCENT_INSTANTIATE_FEEDBACK(double)

}  // namespace descent::comm
