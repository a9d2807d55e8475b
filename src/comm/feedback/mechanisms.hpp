// The mechanisms' own factories (one file each); feedback.cpp chooses among them.
#pragma once

#include "descent/comm/feedback.hpp"

namespace descent::comm {

template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_plain_worker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension);
template <typename T>
std::unique_ptr<ServerFeedback<T>> make_averaging_server(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension,
                                                         const std::vector<double>& weights);
template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_error_feedback_worker(std::shared_ptr<const Compressor<T>> compressor,
                                                              std::size_t dimension);
// `scale` is 1 / (n w_i): 1 for EF21.
template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_ef21_worker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension,
                                                    double scale);
// `momentum` is eta in v_i <- (1 - eta) v_i + eta grad_i; the server is EF21's.
template <typename T>
std::unique_ptr<WorkerFeedback<T>> make_ef21_sgdm_worker(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension,
                                                         double momentum);
template <typename T>
std::unique_ptr<ServerFeedback<T>> make_ef21_server(std::shared_ptr<const Compressor<T>> compressor, std::size_t dimension,
                                                    const std::vector<double>& weights);

}  // namespace descent::comm
