// The linear assignment problem: a permutation pi of 0..n-1 minimizing sum_i cost(i, pi(i)), by
// shortest augmenting paths with dual potentials (the Hungarian method in Jonker & Volgenant's
// O(n^3) form; Kuhn 1955, Munkres 1957, Jonker & Volgenant 1987). Weight matching (Git Re-Basin,
// Ainsworth et al., ICLR 2023) solves one per hidden layer to maximize <W_A, P W_B>, scipy's
// linear_sum_assignment(maximize=True) in their code. Free of LibTorch.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace descent::matching {

struct Assignment {
  std::vector<std::int64_t> column_of_row;  // pi: row i goes to column pi[i]
  double total = 0.0;                       // sum_i matrix(i, pi(i))
};

// `matrix` is n x n, row-major. Ties between optimal permutations are broken deterministically.
// Throws ConfigError when the size is not a square or an entry is not finite.
Assignment minimum_cost_assignment(std::span<const double> matrix, std::int64_t n);
Assignment maximum_weight_assignment(std::span<const double> matrix, std::int64_t n);

}  // namespace descent::matching
