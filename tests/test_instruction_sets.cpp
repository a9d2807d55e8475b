// The dispatched element loops against each other and the vectorizable exp against std::exp: every
// instruction set this machine has is forced in turn, and every optimizer, in float and double,
// must give the SSE2 path's bits; negative_exp must stay within 2 ulp of std::exp.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "descent/core/error.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/instruction_set.hpp"
#include "descent/optim/vector_math.hpp"

namespace descent::optim {
namespace {

template <class T>
std::int64_t ulps_apart(T a, T b) {
  using Bits = std::conditional_t<std::is_same_v<T, float>, std::int32_t, std::int64_t>;
  const Bits difference = std::bit_cast<Bits>(a) - std::bit_cast<Bits>(b);  // both positive here
  return difference < 0 ? -static_cast<std::int64_t>(difference) : static_cast<std::int64_t>(difference);
}

template <class T>
std::int64_t worst_ulps(T end, T relative_step) {
  std::int64_t worst = 0;
  for (T a = 0; a < end; a += std::max(a * relative_step, T(1e-6))) {
    worst = std::max(worst, ulps_apart(negative_exp(a), std::exp(-a)));
  }
  return worst;
}

TEST(NegativeExp, WithinTwoUlpOfStdExpWhileTheResultIsNormal) {
  EXPECT_LE(worst_ulps<float>(87.3f, 2e-5f), 2);
  EXPECT_LE(worst_ulps<double>(708.0, 2e-5), 2);
  EXPECT_EQ(negative_exp(0.0f), 1.0f);
  EXPECT_EQ(negative_exp(0.0), 1.0);
}

TEST(NegativeExp, UnderflowInfinityAndNanGiveZero) {
  for (const float a : {88.0f, 1e6f, 1e30f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_EQ(negative_exp(a), 0.0f) << a;
  }
  for (const double a : {709.0, 1e6, 1e300, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_EQ(negative_exp(a), 0.0) << a;
  }
  // Between the smallest normal result and the clamp: tiny, never negative or garbage.
  for (const float a : {87.4f, 87.7f, 87.99f}) {
    EXPECT_GE(negative_exp(a), 0.0f);
    EXPECT_LE(negative_exp(a), std::numeric_limits<float>::min());
  }
}

// Restores the process's instruction set when a test that forces others ends.
class ForcedInstructionSet {
public:
  ForcedInstructionSet() : original_(active_instruction_set()) {}
  ~ForcedInstructionSet() { use_instruction_set(original_); }

private:
  InstructionSet original_;
};

template <class T>
std::vector<T> steps_of(const std::string& name, InstructionSet set) {
  use_instruction_set(set);
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0.0, 1.0);
  // Two buffers, one with a ragged tail, so per-tensor reductions and loop remainders are covered.
  std::vector<T> first(5003), second(77);
  for (auto& v : first) v = static_cast<T>(normal(rng));
  for (auto& v : second) v = static_cast<T>(normal(rng));
  FusedOptions options;
  options.threads = 1;
  options.chunk = 1024;
  BufferOptimizer<T> optimizer(name, {{"clip_norm", 5.0}}, {std::span<T>(first), std::span<T>(second)}, options);
  for (int t = 0; t < 4; ++t) {
    std::vector<T> g1(first.size()), g2(second.size());
    for (auto& v : g1) v = static_cast<T>(normal(rng));
    for (auto& v : g2) v = static_cast<T>(normal(rng));
    optimizer.step({std::span<const T>(g1), std::span<const T>(g2)}, 2.0);
  }
  first.insert(first.end(), second.begin(), second.end());
  return first;
}

TEST(InstructionSets, EveryPathGivesTheSseBitsForEveryOptimizer) {
  const ForcedInstructionSet restore;
  const auto sets = supported_instruction_sets();
  ASSERT_EQ(sets.front(), InstructionSet::sse2);
  std::cout << "instruction sets on this machine:";
  for (const InstructionSet set : sets) std::cout << " " << instruction_set_name(set);
  std::cout << "\n";
  for (const std::string& name : optimizer_names()) {
    const auto float_reference = steps_of<float>(name, InstructionSet::sse2);
    const auto double_reference = steps_of<double>(name, InstructionSet::sse2);
    for (const InstructionSet set : sets) {
      EXPECT_EQ(steps_of<float>(name, set), float_reference) << name << " float on " << instruction_set_name(set);
      EXPECT_EQ(steps_of<double>(name, set), double_reference) << name << " double on " << instruction_set_name(set);
    }
  }
}

TEST(InstructionSets, UnknownAndUnsupportedSetsAreRefused) {
  const ForcedInstructionSet restore;
  EXPECT_THROW(instruction_set_from_name("neon"), ConfigError);
  EXPECT_EQ(instruction_set_from_name("avx2"), InstructionSet::avx2);
  for (const InstructionSet set : {InstructionSet::avx2, InstructionSet::avx512}) {
    if (!cpu_supports(set)) EXPECT_THROW(use_instruction_set(set), ConfigError) << instruction_set_name(set);
  }
  EXPECT_NO_THROW(use_instruction_set(InstructionSet::sse2));
  EXPECT_EQ(active_instruction_set(), InstructionSet::sse2);
}

}  // namespace
}  // namespace descent::optim
