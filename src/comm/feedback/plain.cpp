// Compression without feedback: each worker sends C(g_i) and the server averages
// (QSGD's and natural compression's setting: unbiased compressors need no memory).
#include "mechanisms.hpp"

namespace descent::comm {
namespace {

template <typename T>
class PlainWorker final : public WorkerFeedback<T> {
public:
  using WorkerFeedback<T>::WorkerFeedback;
  Message send(std::span<const T> gradient, std::uint64_t seed) override {
    return this->encode(gradient, seed, this->scratch_);
  }
};

// aggregate = sum_i w_i C(g_i): stateless, shared by none and classic error feedback.
template <typename T>
class AveragingServer final : public ServerFeedback<T> {
public:
  using ServerFeedback<T>::ServerFeedback;
  void receive(std::span<const Message> messages, std::span<const std::uint64_t> seeds, std::span<T> aggregate) override {
    this->weighted_sum(messages, seeds, /*uncompressed=*/false, aggregate);
  }
};

}  // namespace

template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_plain_worker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension) {
  return std::make_unique<PlainWorker<T>>(std::move(compressor), dimension);
}
template <typename T>
std::unique_ptr<ServerFeedback<T>> make_averaging_server(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension,
                                                         const std::vector<double>& weights) {
  return std::make_unique<AveragingServer<T>>(std::move(compressor), weights, dimension);
}

template std::unique_ptr<WorkerFeedback<float>> make_plain_worker<float>(std::shared_ptr<const Compressor<float>>, std::size_t);
template std::unique_ptr<WorkerFeedback<double>> make_plain_worker<double>(std::shared_ptr<const Compressor<double>>, std::size_t);
template std::unique_ptr<ServerFeedback<float>> make_averaging_server<float>(std::shared_ptr<const Compressor<float>>, std::size_t,
                                                                             const std::vector<double>&);
template std::unique_ptr<ServerFeedback<double>> make_averaging_server<double>(std::shared_ptr<const Compressor<double>>,
                                                                               std::size_t, const std::vector<double>&);

}  // namespace descent::comm
