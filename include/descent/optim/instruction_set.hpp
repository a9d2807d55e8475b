// The x86-64 instruction sets a fused step is compiled for, and the one it runs: descent ships one
// portable binary (baseline SSE2) and picks the widest set the CPU has when a step first runs.
// Each set gets its own copy of the element loops (fused.hpp), built with GCC's target attribute
// and without FMA contraction (-ffp-contract=off: AVX-512F brings FMA instructions with it), so
// every path rounds every operation the same way: the paths agree bit for bit.
// DESCENT_SIMD=sse2|avx2|avx512 in the environment, or use_instruction_set(), forces a path (tests
// run each one this machine has; benchmarks compare them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace descent::optim {

enum class InstructionSet { sse2, avx2, avx512 };

std::string_view instruction_set_name(InstructionSet set);
// sse2, avx2 or avx512; ConfigError names anything else.
InstructionSet instruction_set_from_name(std::string_view name);
bool cpu_supports(InstructionSet set);
// Every set this CPU runs, narrowest first.
std::vector<InstructionSet> supported_instruction_sets();
// What fused steps use: DESCENT_SIMD's choice when set (ConfigError when the name is unknown or the
// CPU lacks it), else the widest supported set, unless use_instruction_set chose one.
InstructionSet active_instruction_set();
// Forces `set` for every later step in this process; ConfigError when the CPU lacks it.
void use_instruction_set(InstructionSet set);

}  // namespace descent::optim
