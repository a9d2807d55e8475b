// EF21-SGDM (Fatkhullin, Tyurin & Richtarik, "Momentum Provably Improves Error Feedback!",
// NeurIPS 2023): EF21 applied to a momentum average of each worker's stochastic gradient instead of
// to the gradient itself,
//   worker i:  v_i <- (1 - eta) v_i + eta grad f_i(x, xi_i),   c_i = C(v_i - g_i),   g_i <- g_i + c_i
//   server:    g <- g + (1/n) sum_i c_i                       (EF21's server: g = (1/n) sum_i g_i)
// and the model takes a plain step x <- x - gamma g. EF21 compresses the raw stochastic gradient,
// and each round's noise then enters the compressed estimate g_i and decays only as fast as the
// compressor lets it (the paper shows EF21 needs large batches for that reason); averaging before
// compressing removes it. Uncompressed, g is the exponential average of the mean gradient, i.e.
// heavy-ball momentum with beta = 1 - eta and a step scaled by eta. Round 0 sends
// v_i = g_i = grad f_i(x^0) uncompressed, as EF21 does.
// State: one vector [g_i | v_i], so checkpoints keep it as they keep every mechanism's state.
#include "mechanisms.hpp"

namespace descent::comm {
namespace {

template <typename T>
class Ef21SgdmWorker final : public WorkerFeedback<T> {
public:
  Ef21SgdmWorker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension, double momentum)
      : WorkerFeedback<T>(std::move(compressor), dimension), momentum_(static_cast<T>(momentum)), difference_(dimension) {
    this->state_.vector.assign(2 * dimension, T(0));
  }

  Message send(std::span<const T> gradient, std::uint64_t seed) override {
    const std::size_t d = difference_.size();
    const std::span<T> g(this->state_.vector.data(), d), v(this->state_.vector.data() + d, d);
    if (!this->state_.started) {
      std::copy(gradient.begin(), gradient.end(), v.begin());
      std::copy(gradient.begin(), gradient.end(), g.begin());
      this->state_.started = true;
      return this->encode_uncompressed(g);
    }
    for (std::size_t j = 0; j < d; ++j) {
      v[j] = (T(1) - momentum_) * v[j] + momentum_ * gradient[j];
      difference_[j] = v[j] - g[j];
    }
    Message message = this->encode(difference_, seed, this->scratch_);
    for (std::size_t j = 0; j < d; ++j) g[j] += this->scratch_[j];
    return message;
  }

private:
  T momentum_;  // eta
  std::vector<T> difference_;
};

}  // namespace

template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_ef21_sgdm_worker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension,
                                                         double momentum) {
  return std::make_unique<Ef21SgdmWorker<T>>(std::move(compressor), dimension, momentum);
}

template std::unique_ptr<WorkerFeedback<float>> make_ef21_sgdm_worker<float>(std::shared_ptr<const Compressor<float>>, std::size_t,
                                                                             double);
template std::unique_ptr<WorkerFeedback<double>> make_ef21_sgdm_worker<double>(std::shared_ptr<const Compressor<double>>,
                                                                               std::size_t, double);

}  // namespace descent::comm
