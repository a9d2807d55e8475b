// Classic error feedback (Seide, Fu, Droppo, Li, Yu, "1-Bit Stochastic Gradient Descent and its
// Application to Data-Parallel Distributed Training of Speech DNNs", Interspeech 2014):
//   v_i = g_i + e_i,  c_i = C(v_i),  e_i <- v_i - c_i;  the server averages the c_i.
// What compression drops is not lost but sent later. The residual is on the gradient, before the
// learning rate, as in the 1-bit SGD paper.
#include "mechanisms.hpp"

namespace descent::comm {
namespace {

template <typename T>
class ErrorFeedbackWorker final : public WorkerFeedback<T> {
public:
  ErrorFeedbackWorker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension)
      : WorkerFeedback<T>(std::move(compressor), dimension), corrected_(dimension) {
    this->state_.vector.assign(dimension, T(0));
  }

  Message send(std::span<const T> gradient, std::uint64_t seed) override {
    std::vector<T>& residual = this->state_.vector;
    for (std::size_t j = 0; j < corrected_.size(); ++j) corrected_[j] = gradient[j] + residual[j];
    Message message = this->encode(corrected_, seed, this->scratch_);
    for (std::size_t j = 0; j < corrected_.size(); ++j) residual[j] = corrected_[j] - this->scratch_[j];
    this->state_.started = true;
    return message;
  }

private:
  std::vector<T> corrected_;
};

}  // namespace

template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_error_feedback_worker(std::shared_ptr<const Compressor<T>> compressor,
                                                              std::size_t dimension) {
  return std::make_unique<ErrorFeedbackWorker<T>>(std::move(compressor), dimension);
}
template std::unique_ptr<WorkerFeedback<float>> make_error_feedback_worker<float>(std::shared_ptr<const Compressor<float>>,
                                                                                  std::size_t);
template std::unique_ptr<WorkerFeedback<double>> make_error_feedback_worker<double>(std::shared_ptr<const Compressor<double>>,
                                                                                    std::size_t);

}  // namespace descent::comm
