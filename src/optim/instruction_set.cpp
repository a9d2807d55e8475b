#include "descent/optim/instruction_set.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>

#include "descent/core/error.hpp"

namespace descent::optim {
namespace {

// -1: not chosen yet; else the InstructionSet's value. Steps on several threads read it at once.
std::atomic<int>& chosen() {
  static std::atomic<int> value{-1};
  return value;
}

InstructionSet widest_supported() {
  for (const InstructionSet set : {InstructionSet::avx512, InstructionSet::avx2}) {
    if (cpu_supports(set)) return set;
  }
  return InstructionSet::sse2;
}

InstructionSet from_environment() {
  const char* requested = std::getenv("DESCENT_SIMD");
  if (requested == nullptr || *requested == '\0') return widest_supported();
  InstructionSet set;
  try {
    set = instruction_set_from_name(requested);
  } catch (const ConfigError&) {
    throw ConfigError(fmt::format("DESCENT_SIMD={}: not an instruction set (sse2, avx2, avx512)", requested));
  }
  if (!cpu_supports(set)) throw ConfigError(fmt::format("DESCENT_SIMD={}: this CPU does not support it", requested));
  return set;
}

}  // namespace

std::string_view instruction_set_name(InstructionSet set) {
  switch (set) {
    case InstructionSet::avx512: return "avx512";
    case InstructionSet::avx2: return "avx2";
    case InstructionSet::sse2: break;
  }
  return "sse2";
}

InstructionSet instruction_set_from_name(std::string_view name) {
  for (const InstructionSet set : {InstructionSet::sse2, InstructionSet::avx2, InstructionSet::avx512}) {
    if (name == instruction_set_name(set)) return set;
  }
  throw ConfigError(fmt::format("instruction set '{}' is not known (sse2, avx2, avx512)", name));
}

bool cpu_supports(InstructionSet set) {
  __builtin_cpu_init();
  switch (set) {
    case InstructionSet::avx512: return __builtin_cpu_supports("avx512f");
    case InstructionSet::avx2: return __builtin_cpu_supports("avx2");
    case InstructionSet::sse2: break;
  }
  return true;  // the x86-64 baseline
}

std::vector<InstructionSet> supported_instruction_sets() {
  std::vector<InstructionSet> sets;
  for (const InstructionSet set : {InstructionSet::sse2, InstructionSet::avx2, InstructionSet::avx512}) {
    if (cpu_supports(set)) sets.push_back(set);
  }
  return sets;
}

InstructionSet active_instruction_set() {
  int value = chosen().load(std::memory_order_relaxed);
  if (value < 0) {
    value = static_cast<int>(from_environment());
    int unset = -1;
    if (!chosen().compare_exchange_strong(unset, value)) value = unset;  // another thread chose first
  }
  return static_cast<InstructionSet>(value);
}

void use_instruction_set(InstructionSet set) {
  if (!cpu_supports(set)) throw ConfigError(fmt::format("instruction set {}: this CPU does not support it", instruction_set_name(set)));
  chosen().store(static_cast<int>(set));
}

}  // namespace descent::optim
