// EF21 (Richtarik, Sokolov, Fatkhullin, "EF21: A New, Simpler, Theoretically Better, and
// Practically Faster Error Feedback", NeurIPS 2021) and its weighted form EF21-W (Richtarik,
// Gasanov, Burlachenko, "Error Feedback Reloaded: From Quadratic to Arithmetic Mean of Smoothness
// Constants", ICLR 2024):
//   worker i:  c_i = C(grad f_i(x^{t+1}) / (n w_i) - g_i),   g_i <- g_i + c_i
//   server:    g <- g + sum_i w_i c_i          (so g = sum_i w_i g_i at every round)
// EF21 is w_i = 1/n. Round 0 sends g_i = grad f_i(x^0) / (n w_i) uncompressed, as the reference code
// initializes. EF21-W's step-size bound uses the arithmetic mean of the L_i instead of the quadratic mean.
#include "mechanisms.hpp"

namespace descent::comm {
namespace {

template <typename T>
class Ef21Worker final : public WorkerFeedback<T> {
public:
  Ef21Worker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension, double scale)
      : WorkerFeedback<T>(std::move(compressor), dimension), scale_(static_cast<T>(scale)), difference_(dimension) {
    this->state_.vector.assign(dimension, T(0));
  }

  Message send(std::span<const T> gradient, std::uint64_t seed) override {
    std::vector<T>& g = this->state_.vector;
    if (!this->state_.started) {
      for (std::size_t j = 0; j < g.size(); ++j) g[j] = scaled(gradient[j]);
      this->state_.started = true;
      return this->encode_uncompressed(g);
    }
    for (std::size_t j = 0; j < g.size(); ++j) difference_[j] = scaled(gradient[j]) - g[j];
    Message message = this->encode(difference_, seed, this->scratch_);
    for (std::size_t j = 0; j < g.size(); ++j) g[j] += this->scratch_[j];
    return message;
  }

private:
  T scaled(T value) const { return scale_ == T(1) ? value : value * scale_; }

  T scale_;  // 1 / (n w_i)
  std::vector<T> difference_;
};

template <typename T>
class Ef21Server final : public ServerFeedback<T> {
public:
  Ef21Server(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension, const std::vector<double>& weights)
      : ServerFeedback<T>(std::move(compressor), weights, dimension) {
    this->state_.vector.assign(dimension, T(0));
  }

  void receive(std::span<const Message> messages, std::span<const std::uint64_t> seeds, std::span<T> aggregate) override {
    std::vector<T>& g = this->state_.vector;
    if (!this->state_.started) {
      this->weighted_sum(messages, seeds, /*uncompressed=*/true, g);
      this->state_.started = true;
    } else {
      this->add_weighted(messages, seeds, /*uncompressed=*/false, g);  // g <- g + sum_i w_i c_i
    }
    std::copy(g.begin(), g.end(), aggregate.begin());
  }
};

}  // namespace

template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_ef21_worker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension,
                                                    double scale) {
  return std::make_unique<Ef21Worker<T>>(std::move(compressor), dimension, scale);
}
template <typename T>
std::unique_ptr<ServerFeedback<T>> make_ef21_server(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension,
                                                    const std::vector<double>& weights) {
  return std::make_unique<Ef21Server<T>>(std::move(compressor), dimension, weights);
}

template std::unique_ptr<WorkerFeedback<float>> make_ef21_worker<float>(std::shared_ptr<const Compressor<float>>, std::size_t, double);
template std::unique_ptr<WorkerFeedback<double>> make_ef21_worker<double>(std::shared_ptr<const Compressor<double>>, std::size_t,
                                                                          double);
template std::unique_ptr<ServerFeedback<float>> make_ef21_server<float>(std::shared_ptr<const Compressor<float>>, std::size_t,
                                                                        const std::vector<double>&);
template std::unique_ptr<ServerFeedback<double>> make_ef21_server<double>(std::shared_ptr<const Compressor<double>>, std::size_t,
                                                                          const std::vector<double>&);

}  // namespace descent::comm
