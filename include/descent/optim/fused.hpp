// The fused step: every element of every parameter buffer is read once and written once per
// step (after one extra read-only pass per transform that needs a global or per-tensor reduction).
// Work is cut into fixed-size chunks, so reductions sum in the same order whatever the thread
// count: the same seed gives the same bits on 1 or 2 threads. The element loops and the reduction
// loops exist once per instruction set (instruction_set.hpp): the same source compiled for SSE2,
// AVX2 and AVX-512 without FMA, so the paths differ in vector width only, never in rounding. That
// needs -ffp-contract=off (descent::optim's users get it from the target): AVX-512F has FMA
// instructions of its own, and GCC contracts a * b + c into them by default.
#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "descent/optim/instruction_set.hpp"
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
// slot arrives as its own restrict pointer, so no store can alias another buffer. The loop is
// written out in each of the three functions below (one per instruction set) through this macro:
// as an always-inline function called from them it lost GCC's loop unswitching on the rules'
// branch-free selects, and momentum SGD's loop stopped vectorizing (4x slower).
#define DESCENT_FUSED_ELEMENT_LOOP                                      \
  for (std::size_t i = begin; i < end; ++i) {                           \
    typename Chain::value_type local[sizeof...(K) + 1];                 \
    ((local[K] = slot[i]), ...);                                        \
    const auto update = chain.apply(grad[i], param[i], local, scalars); \
    ((slot[i] = local[K]), ...);                                        \
    param[i] += update;                                                 \
  }

template <class Chain, std::size_t... K>
void element_loop_sse2(const Chain& chain, const typename Chain::Scalars& scalars, typename Chain::value_type* __restrict param,
                       const typename Chain::value_type* __restrict grad, std::size_t begin, std::size_t end,
                       SlotPointer<typename Chain::value_type, K>... slot) {
  DESCENT_FUSED_ELEMENT_LOOP
}
template <class Chain, std::size_t... K>
[[gnu::target("avx2")]] void element_loop_avx2(const Chain& chain, const typename Chain::Scalars& scalars,
                                               typename Chain::value_type* __restrict param,
                                               const typename Chain::value_type* __restrict grad, std::size_t begin,
                                               std::size_t end, SlotPointer<typename Chain::value_type, K>... slot) {
  DESCENT_FUSED_ELEMENT_LOOP
}
template <class Chain, std::size_t... K>
[[gnu::target("avx512f")]] void element_loop_avx512(const Chain& chain, const typename Chain::Scalars& scalars,
                                                    typename Chain::value_type* __restrict param,
                                                    const typename Chain::value_type* __restrict grad, std::size_t begin,
                                                    std::size_t end, SlotPointer<typename Chain::value_type, K>... slot) {
  DESCENT_FUSED_ELEMENT_LOOP
}
#undef DESCENT_FUSED_ELEMENT_LOOP

template <class Chain>
void apply_items(const Chain& chain, const typename Chain::Scalars& scalars,
                 std::span<const ParamBuffer<typename Chain::value_type>> buffers, const WorkItem& item, InstructionSet isa) {
  const auto& buffer = buffers[item.buffer];
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    switch (isa) {
      case InstructionSet::avx512:
        element_loop_avx512<Chain, K...>(chain, scalars, buffer.param, buffer.grad, item.begin, item.end, buffer.slots[K]...);
        break;
      case InstructionSet::avx2:
        element_loop_avx2<Chain, K...>(chain, scalars, buffer.param, buffer.grad, item.begin, item.end, buffer.slots[K]...);
        break;
      case InstructionSet::sse2:
        element_loop_sse2<Chain, K...>(chain, scalars, buffer.param, buffer.grad, item.begin, item.end, buffer.slots[K]...);
        break;
    }
  }(std::make_index_sequence<static_cast<std::size_t>(Chain::slots)>{});
}

// How many sums a reduction keeps: one for a global norm (double), K for per-tensor terms.
template <class Terms>
constexpr std::size_t term_count() {
  if constexpr (std::is_same_v<Terms, double>) {
    return 1;
  } else {
    return std::tuple_size_v<Terms>;
  }
}

// Transform J's terms over elements [begin, end) of one buffer in eight interleaved sums (about 4x
// faster than one accumulator) combined in a fixed order, so the result is deterministic. Written
// out per instruction set by this macro, as the element loop is.
#define DESCENT_FUSED_SUM_TERMS                                                                                   \
  using T = typename Chain::value_type;                                                                           \
  constexpr int S = Chain::slots;                                                                                 \
  const auto slot = slot_pointers<Chain>(buffer);                                                                 \
  const T* __restrict grad = buffer.grad;                                                                         \
  const T* __restrict param = buffer.param;                                                                       \
  constexpr std::size_t kLanes = 8;                                                                               \
  auto term_of = [&](std::size_t i) {                                                                             \
    T local[S + 1];                                                                                               \
    for (int k = 0; k < S; ++k) local[k] = slot[k][i];                                                            \
    if constexpr (std::is_same_v<Terms, double>) {                                                                \
      return chain.template reduce_term<J>(grad[i], param[i], local, scalars);                                    \
    } else {                                                                                                      \
      return chain.template reduce_terms<J>(grad[i], param[i], local, scalars);                                   \
    }                                                                                                             \
  };                                                                                                              \
  /* sums[k][lane]: each term's eight lanes side by side, so they fill one vector register. */                  \
  constexpr std::size_t K = term_count<Terms>();                                                                  \
  double sums[K][kLanes] = {};                                                                                    \
  auto accumulate = [&](std::size_t lane, const Terms& term) {                                                    \
    if constexpr (std::is_same_v<Terms, double>) {                                                                \
      sums[0][lane] += term;                                                                                      \
    } else {                                                                                                      \
      for (std::size_t k = 0; k < K; ++k) sums[k][lane] += term[k];                                               \
    }                                                                                                             \
  };                                                                                                              \
  /* The tail indexes the lanes by constants too: a variable index would keep them in memory, and */          \
  /* the main loop would stop vectorizing (2x slower at 1e7 floats). */                                           \
  std::size_t i = begin;                                                                                          \
  for (; i + kLanes <= end; i += kLanes) {                                                                        \
    for (std::size_t lane = 0; lane < kLanes; ++lane) accumulate(lane, term_of(i + lane));                        \
  }                                                                                                               \
  for (std::size_t lane = 0; lane < kLanes; ++lane) {                                                             \
    if (i + lane < end) accumulate(lane, term_of(i + lane));                                                      \
  }                                                                                                               \
  auto combine = [](const double* l) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }; \
  if constexpr (std::is_same_v<Terms, double>) {                                                                  \
    return combine(sums[0]);                                                                                      \
  } else {                                                                                                        \
    Terms total{};                                                                                                \
    for (std::size_t k = 0; k < K; ++k) total[k] = combine(sums[k]);                                              \
    return total;                                                                                                 \
  }

template <std::size_t J, class Terms, class Chain>
Terms sum_terms_sse2(const Chain& chain, const typename Chain::Scalars& scalars, const ParamBuffer<typename Chain::value_type>& buffer,
                     std::size_t begin, std::size_t end) {
  DESCENT_FUSED_SUM_TERMS
}
template <std::size_t J, class Terms, class Chain>
[[gnu::target("avx2")]] Terms sum_terms_avx2(const Chain& chain, const typename Chain::Scalars& scalars,
                                             const ParamBuffer<typename Chain::value_type>& buffer, std::size_t begin, std::size_t end) {
  DESCENT_FUSED_SUM_TERMS
}
template <std::size_t J, class Terms, class Chain>
[[gnu::target("avx512f")]] Terms sum_terms_avx512(const Chain& chain, const typename Chain::Scalars& scalars,
                                                  const ParamBuffer<typename Chain::value_type>& buffer, std::size_t begin, std::size_t end) {
  DESCENT_FUSED_SUM_TERMS
}
#undef DESCENT_FUSED_SUM_TERMS

template <std::size_t J, class Terms, class Chain, class ScalarsOf>
std::vector<Terms> reduce_per_item(const Chain& chain, ScalarsOf scalars_of,
                                   std::span<const ParamBuffer<typename Chain::value_type>> buffers,
                                   const std::vector<WorkItem>& items, int threads, InstructionSet isa) {
  std::vector<Terms> partial(items.size(), Terms{});
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (std::size_t w = 0; w < items.size(); ++w) {
    const WorkItem item = items[w];
    const auto& buffer = buffers[item.buffer];
    const auto& scalars = scalars_of(item.buffer);
    switch (isa) {
      case InstructionSet::avx512: partial[w] = sum_terms_avx512<J, Terms>(chain, scalars, buffer, item.begin, item.end); break;
      case InstructionSet::avx2: partial[w] = sum_terms_avx2<J, Terms>(chain, scalars, buffer, item.begin, item.end); break;
      case InstructionSet::sse2: partial[w] = sum_terms_sse2<J, Terms>(chain, scalars, buffer, item.begin, item.end); break;
    }
  }
  return partial;
}

// Prepares every transform's scalars in order, running a reduction pass before each that needs
// one (per-tensor transforms are left to prepare_per_tensor).
template <std::size_t J, class Chain>
void prepare_all(Chain& chain, typename Chain::Scalars& scalars, const StepContext& context,
                 std::span<const ParamBuffer<typename Chain::value_type>> buffers, const std::vector<WorkItem>& items,
                 int threads, InstructionSet isa) {
  if constexpr (J < Chain::size) {
    double reduction = 0.0;
    if constexpr (Chain::template reduces_at<J>()) {
      if (chain.template reduction_active<J>()) {
        const auto same = [&](std::size_t) -> const typename Chain::Scalars& { return scalars; };
        for (const double p : reduce_per_item<J, double>(chain, same, buffers, items, threads, isa)) reduction += p;  // fixed order
      }
    }
    std::get<J>(scalars) = chain.template prepare_one<J>(context, reduction);
    prepare_all<J + 1>(chain, scalars, context, buffers, items, threads, isa);
  }
}

// Scalars of every per-tensor transform for each buffer, in chain order.
template <std::size_t J, class Chain>
void prepare_per_tensor(const Chain& chain, std::vector<typename Chain::Scalars>& per_buffer, const StepContext& context,
                        std::span<const ParamBuffer<typename Chain::value_type>> buffers, const std::vector<WorkItem>& items,
                        int threads, InstructionSet isa) {
  if constexpr (J < Chain::size) {
    if constexpr (Chain::template reduces_per_tensor_at<J>()) {
      using Transform = std::tuple_element_t<J, std::remove_cvref_t<decltype(chain.transforms())>>;
      using Terms = std::array<double, static_cast<std::size_t>(Transform::per_tensor_terms)>;
      const auto of_buffer = [&](std::size_t b) -> const typename Chain::Scalars& { return per_buffer[b]; };
      const std::vector<Terms> partial = reduce_per_item<J, Terms>(chain, of_buffer, buffers, items, threads, isa);
      std::vector<Terms> sums(buffers.size(), Terms{});
      for (std::size_t w = 0; w < items.size(); ++w) {  // fixed order: deterministic
        for (std::size_t k = 0; k < Terms{}.size(); ++k) sums[items[w].buffer][k] += partial[w][k];
      }
      for (std::size_t b = 0; b < buffers.size(); ++b) std::get<J>(per_buffer[b]) = chain.template prepare_per_tensor<J>(context, sums[b]);
    }
    prepare_per_tensor<J + 1>(chain, per_buffer, context, buffers, items, threads, isa);
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
  const InstructionSet isa = active_instruction_set();

  typename Chain::Scalars scalars{};
  detail::prepare_all<0>(chain, scalars, context, buffers, items, threads, isa);
  if constexpr (Chain::has_per_tensor) {
    std::vector<typename Chain::Scalars> per_buffer(buffers.size(), scalars);
    detail::prepare_per_tensor<0>(chain, per_buffer, context, buffers, items, threads, isa);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::size_t w = 0; w < items.size(); ++w) detail::apply_items(chain, per_buffer[items[w].buffer], buffers, items[w], isa);
  } else {
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::size_t w = 0; w < items.size(); ++w) detail::apply_items(chain, scalars, buffers, items[w], isa);
  }
}

}  // namespace descent::optim
