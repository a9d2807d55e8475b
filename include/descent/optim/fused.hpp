// The fused step: every element of every parameter buffer is read once and written once per
// step (after one extra read-only pass per transform that needs a global reduction).
// Work is cut into fixed-size chunks, so reductions sum in the same order whatever the thread
// count: the same seed gives the same bits on 1 or 2 threads.
#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "descent/optim/transform.hpp"

namespace descent::optim {

// One parameter buffer with its gradient and its state: `slots[k]` points at `size` values of
// state slot k, initialized by the owner to the rule's initial_value(k).
template <class T>
struct ParamBuffer {
  T* param = nullptr;
  const T* grad = nullptr;
  std::size_t size = 0;
  T* const* slots = nullptr;
};

struct FusedOptions {
  int threads = 0;                      // 0: OpenMP's current maximum
  std::size_t chunk = 1 << 14;          // elements per work item
  std::size_t parallel_threshold = 1 << 16;  // below this many elements, one thread
};

namespace detail {

struct WorkItem {
  std::size_t buffer;
  std::size_t begin;
  std::size_t end;
};

template <class T>
std::vector<WorkItem> cut_into_chunks(std::span<const ParamBuffer<T>> buffers, std::size_t chunk, std::size_t& total) {
  std::vector<WorkItem> items;
  total = 0;
  for (std::size_t b = 0; b < buffers.size(); ++b) {
    for (std::size_t begin = 0; begin < buffers[b].size; begin += chunk) {
      items.push_back({b, begin, std::min(buffers[b].size, begin + chunk)});
    }
    total += buffers[b].size;
  }
  return items;
}

template <class Chain>
using SlotPointers = std::array<typename Chain::value_type*, static_cast<std::size_t>(Chain::slots) + 1>;

template <class Chain>
SlotPointers<Chain> slot_pointers(const ParamBuffer<typename Chain::value_type>& buffer) {
  SlotPointers<Chain> pointers{};
  for (int k = 0; k < Chain::slots; ++k) pointers[k] = buffer.slots[k];
  return pointers;
}

template <class T, std::size_t>
using SlotPointer = T* __restrict;

// The element loop: state values are copied into a local array so the compiler keeps them in
// registers and vectorizes; they are written back after the chain has updated them. Each state
// slot arrives as its own restrict pointer, so no store can alias another buffer.
template <class Chain, std::size_t... K>
void element_loop(const Chain& chain, const typename Chain::Scalars& scalars, typename Chain::value_type* __restrict param,
                  const typename Chain::value_type* __restrict grad, std::size_t begin, std::size_t end,
                  SlotPointer<typename Chain::value_type, K>... slot) {
  using T = typename Chain::value_type;
  for (std::size_t i = begin; i < end; ++i) {
    T local[sizeof...(K) + 1];
    ((local[K] = slot[i]), ...);
    const T update = chain.apply(grad[i], param[i], local, scalars);
    ((slot[i] = local[K]), ...);
    param[i] += update;
  }
}

template <class Chain>
void apply_items(const Chain& chain, const typename Chain::Scalars& scalars,
                 std::span<const ParamBuffer<typename Chain::value_type>> buffers, const WorkItem& item) {
  const auto& buffer = buffers[item.buffer];
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    element_loop<Chain, K...>(chain, scalars, buffer.param, buffer.grad, item.begin, item.end, buffer.slots[K]...);
  }(std::make_index_sequence<static_cast<std::size_t>(Chain::slots)>{});
}

template <std::size_t J, class Chain>
double reduce_items(const Chain& chain, const typename Chain::Scalars& scalars,
                    std::span<const ParamBuffer<typename Chain::value_type>> buffers, const std::vector<WorkItem>& items,
                    int threads) {
  using T = typename Chain::value_type;
  constexpr int S = Chain::slots;
  std::vector<double> partial(items.size(), 0.0);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (std::size_t w = 0; w < items.size(); ++w) {
    const WorkItem item = items[w];
    const ParamBuffer<T>& buffer = buffers[item.buffer];
    const auto slot = slot_pointers<Chain>(buffer);
    // Eight interleaved sums break the dependency chain of one accumulator (about 4x faster) in a
    // fixed order, so the result stays deterministic.
    constexpr std::size_t kLanes = 8;
    double lanes[kLanes] = {};
    auto term = [&](std::size_t i) {
      T local[S + 1];
      for (int k = 0; k < S; ++k) local[k] = slot[k][i];
      return chain.template reduce_term<J>(buffer.grad[i], buffer.param[i], local, scalars);
    };
    std::size_t i = item.begin;
    for (; i + kLanes <= item.end; i += kLanes) {
      for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] += term(i + lane);
    }
    for (std::size_t lane = 0; i < item.end; ++i, ++lane) lanes[lane] += term(i);
    const double sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    partial[w] = sum;
  }
  double total = 0.0;
  for (const double p : partial) total += p;  // fixed order: deterministic
  return total;
}

// Prepares every transform's scalars in order, running a reduction pass before each that needs one.
template <std::size_t J, class Chain>
void prepare_all(Chain& chain, typename Chain::Scalars& scalars, const StepContext& context,
                 std::span<const ParamBuffer<typename Chain::value_type>> buffers, const std::vector<WorkItem>& items,
                 int threads) {
  if constexpr (J < Chain::size) {
    double reduction = 0.0;
    if constexpr (Chain::template reduces_at<J>()) reduction = reduce_items<J>(chain, scalars, buffers, items, threads);
    std::get<J>(scalars) = chain.template prepare_one<J>(context, reduction);
    prepare_all<J + 1>(chain, scalars, context, buffers, items, threads);
  }
}

}  // namespace detail

// One optimizer step over a group of buffers: p += chain(g) for every element.
template <class Chain>
void fused_step(Chain& chain, std::span<const ParamBuffer<typename Chain::value_type>> buffers, const StepContext& context,
                const FusedOptions& options = {}) {
  std::size_t total = 0;
  const auto items = detail::cut_into_chunks(buffers, options.chunk, total);
  const int max_threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const int threads = total >= options.parallel_threshold ? max_threads : 1;

  typename Chain::Scalars scalars{};
  detail::prepare_all<0>(chain, scalars, context, buffers, items, threads);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (std::size_t w = 0; w < items.size(); ++w) detail::apply_items(chain, scalars, buffers, items[w]);
}

}  // namespace descent::optim
