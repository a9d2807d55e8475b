// One factory per compressor; src/comm/compressor.cpp picks among them by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "descent/comm/compressor.hpp"

namespace descent::comm {

template <typename T> std::unique_ptr<Compressor<T>> make_identity();
template <typename T> std::unique_ptr<Compressor<T>> make_top_k(std::size_t k);
template <typename T> std::unique_ptr<Compressor<T>> make_rand_k(std::size_t k);
template <typename T> std::unique_ptr<Compressor<T>> make_scaled_sign();
template <typename T> std::unique_ptr<Compressor<T>> make_natural_compression();
template <typename T> std::unique_ptr<Compressor<T>> make_qsgd(std::int64_t levels);

}  // namespace descent::comm
