#include "descent/matching/linear_assignment.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "descent/core/error.hpp"

namespace descent::matching {
namespace {

void check(std::span<const double> matrix, std::int64_t n) {
  if (n < 0 || static_cast<std::int64_t>(matrix.size()) != n * n) {
    throw ConfigError(fmt::format("linear assignment: {} entries do not make a {} x {} matrix", matrix.size(), n, n));
  }
  for (std::size_t k = 0; k < matrix.size(); ++k) {
    if (!std::isfinite(matrix[k])) throw ConfigError(fmt::format("linear assignment: entry ({}, {}) is not finite", k / static_cast<std::size_t>(n), k % static_cast<std::size_t>(n)));
  }
}

}  // namespace

Assignment minimum_cost_assignment(std::span<const double> matrix, std::int64_t n) {
  check(matrix, n);
  const auto cost = [&](std::int64_t i, std::int64_t j) { return matrix[static_cast<std::size_t>(i * n + j)]; };
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  // Rows and columns are 1-based below; column 0 is the virtual start of each augmenting path.
  // u, v: dual potentials with u[i] + v[j] <= cost(i, j), tight on the matched pairs.
  std::vector<double> u(static_cast<std::size_t>(n + 1), 0.0), v(static_cast<std::size_t>(n + 1), 0.0);
  std::vector<std::int64_t> row_of_column(static_cast<std::size_t>(n + 1), 0), previous(static_cast<std::size_t>(n + 1), 0);
  for (std::int64_t row = 1; row <= n; ++row) {
    // Dijkstra over columns with reduced costs, from the new row, to the nearest free column.
    row_of_column[0] = row;
    std::int64_t column = 0;
    std::vector<double> distance(static_cast<std::size_t>(n + 1), kInfinity);
    std::vector<bool> done(static_cast<std::size_t>(n + 1), false);
    do {
      done[static_cast<std::size_t>(column)] = true;
      const std::int64_t i = row_of_column[static_cast<std::size_t>(column)];
      double delta = kInfinity;
      std::int64_t next = 0;
      for (std::int64_t j = 1; j <= n; ++j) {
        if (done[static_cast<std::size_t>(j)]) continue;
        const double reduced = cost(i - 1, j - 1) - u[static_cast<std::size_t>(i)] - v[static_cast<std::size_t>(j)];
        if (reduced < distance[static_cast<std::size_t>(j)]) {
          distance[static_cast<std::size_t>(j)] = reduced;
          previous[static_cast<std::size_t>(j)] = column;
        }
        if (distance[static_cast<std::size_t>(j)] < delta) {
          delta = distance[static_cast<std::size_t>(j)];
          next = j;
        }
      }
      // Shift the potentials so the tree's edges stay tight and the frontier moves by delta.
      for (std::int64_t j = 0; j <= n; ++j) {
        if (done[static_cast<std::size_t>(j)]) {
          u[static_cast<std::size_t>(row_of_column[static_cast<std::size_t>(j)])] += delta;
          v[static_cast<std::size_t>(j)] -= delta;
        } else {
          distance[static_cast<std::size_t>(j)] -= delta;
        }
      }
      column = next;
    } while (row_of_column[static_cast<std::size_t>(column)] != 0);
    // Augment: flip the matched pairs along the path back to the virtual column.
    do {
      const std::int64_t before = previous[static_cast<std::size_t>(column)];
      row_of_column[static_cast<std::size_t>(column)] = row_of_column[static_cast<std::size_t>(before)];
      column = before;
    } while (column != 0);
  }
  Assignment assignment{std::vector<std::int64_t>(static_cast<std::size_t>(n), 0), 0.0};
  for (std::int64_t j = 1; j <= n; ++j) assignment.column_of_row[static_cast<std::size_t>(row_of_column[static_cast<std::size_t>(j)] - 1)] = j - 1;
  for (std::int64_t i = 0; i < n; ++i) assignment.total += cost(i, assignment.column_of_row[static_cast<std::size_t>(i)]);
  return assignment;
}

Assignment maximum_weight_assignment(std::span<const double> matrix, std::int64_t n) {
  check(matrix, n);
  std::vector<double> negated(matrix.begin(), matrix.end());
  for (double& value : negated) value = -value;
  Assignment assignment = minimum_cost_assignment(negated, n);
  assignment.total = -assignment.total;
  return assignment;
}

}  // namespace descent::matching
