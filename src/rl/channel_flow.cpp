#include "descent/rl/channel_flow.hpp"

#include <Eigen/Sparse>
#include <Eigen/SparseCholesky>
#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace descent::rl {
namespace {

// Barycentric gradients and area of a straight triangle; area <= 0 means inverted or flat.
struct AffineTriangle {
  double area = 0.0;
  std::array<Point2, 3> grad_lambda{};
};

AffineTriangle affine_triangle(const Point2& p0, const Point2& p1, const Point2& p2) {
  AffineTriangle t;
  const double twice_area = (p1.x - p0.x) * (p2.y - p0.y) - (p2.x - p0.x) * (p1.y - p0.y);
  t.area = 0.5 * twice_area;
  if (twice_area <= 0.0) return t;
  t.grad_lambda[0] = {(p1.y - p2.y) / twice_area, (p2.x - p1.x) / twice_area};
  t.grad_lambda[1] = {(p2.y - p0.y) / twice_area, (p0.x - p2.x) / twice_area};
  t.grad_lambda[2] = {(p0.y - p1.y) / twice_area, (p1.x - p0.x) / twice_area};
  return t;
}

// Local P2 nodes: vertices 0, 1, 2, then the midpoints of edges (0,1), (1,2), (2,0).
constexpr std::array<std::array<int, 2>, 3> kEdge = {{{0, 1}, {1, 2}, {2, 0}}};

// Gradients of the six P2 basis functions at barycentric point `lambda`:
// vertex i: lambda_i (2 lambda_i - 1); edge (i, j): 4 lambda_i lambda_j.
std::array<Point2, 6> p2_gradients(const AffineTriangle& t, const std::array<double, 3>& lambda) {
  std::array<Point2, 6> g{};
  for (int i = 0; i < 3; ++i) {
    const double f = 4.0 * lambda[i] - 1.0;
    g[i] = {f * t.grad_lambda[i].x, f * t.grad_lambda[i].y};
  }
  for (int e = 0; e < 3; ++e) {
    const int i = kEdge[e][0], j = kEdge[e][1];
    g[3 + e] = {4.0 * (lambda[i] * t.grad_lambda[j].x + lambda[j] * t.grad_lambda[i].x),
                4.0 * (lambda[i] * t.grad_lambda[j].y + lambda[j] * t.grad_lambda[i].y)};
  }
  return g;
}

// The edge-midpoint rule: exact for quadratics, the degree of grad(P2) . grad(P2) and of
// P1 * div(P2) on an affine triangle.
constexpr std::array<std::array<double, 3>, 3> kQuadrature = {{{0.5, 0.5, 0.0}, {0.0, 0.5, 0.5}, {0.5, 0.0, 0.5}}};

// Element matrices: the scalar P2 stiffness and the divergence pieces int lambda_k d(phi_a)/dx_c.
struct ElementMatrices {
  std::array<std::array<double, 6>, 6> stiffness{};
  std::array<std::array<std::array<double, 2>, 6>, 3> divergence{};  // [k][a][component]
};

ElementMatrices element_matrices(const AffineTriangle& t) {
  ElementMatrices m;
  const double weight = t.area / 3.0;
  for (const auto& lambda : kQuadrature) {
    const std::array<Point2, 6> g = p2_gradients(t, lambda);
    for (int a = 0; a < 6; ++a) {
      for (int b = 0; b < 6; ++b) m.stiffness[a][b] += weight * (g[a].x * g[b].x + g[a].y * g[b].y);
      for (int k = 0; k < 3; ++k) {
        m.divergence[k][a][0] += weight * lambda[k] * g[a].x;
        m.divergence[k][a][1] += weight * lambda[k] * g[a].y;
      }
    }
  }
  return m;
}

// Values of the 1-D quadratic Lagrange basis on [0, 1] with nodes 0, 1/2, 1.
std::array<double, 3> quadratic_basis(double r) {
  return {2.0 * (r - 0.5) * (r - 1.0), -4.0 * r * (r - 1.0), 2.0 * r * (r - 0.5)};
}

}  // namespace

// --- StokesChannel ------------------------------------------------------------------------------

struct StokesChannel::Impl {
  using Matrix = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;

  Options options;
  std::int64_t fine_nx = 0, fine_ny = 0;          // fine columns and rows (2nx + 1, 2ny + 1)
  std::vector<std::array<std::int64_t, 6>> p2;     // per triangle: fine node indices
  std::vector<std::array<std::int64_t, 3>> p1;     // per triangle: vertex indices
  std::vector<std::int64_t> free_index;            // full dof -> free unknown, or -1 (Dirichlet)
  std::int64_t velocity_dofs = 0, unknowns = 0;
  // Inlet traction edges (pressure_drop): fine nodes bottom, middle, top.
  std::vector<std::array<std::int64_t, 3>> inlet_edges;
  // For each assembled entry, in assembly order: the slot in the matrix values, or -1 when its
  // column is a Dirichlet dof (then it goes to the right-hand side).
  std::vector<std::int64_t> slots;
  Matrix matrix;
  // The unknowns are numbered in elimination order (see number_unknowns), so no reordering;
  // Upper because the matrix is stored in full, and unpermuted upper input is factored in place.
  Eigen::SimplicialLDLT<Matrix, Eigen::Upper, Eigen::NaturalOrdering<int>> ldlt;

  std::vector<Point2> vertices, nodes;
  std::vector<double> solution;  // full dofs: u, v per fine node, then pressure per vertex
  bool solved = false;

  std::int64_t fine(std::int64_t column, std::int64_t row) const { return row * fine_nx + column; }
  std::int64_t vertex(std::int64_t i, std::int64_t j) const { return j * (options.nx + 1) + i; }
  std::int64_t pressure_dof(std::int64_t v) const { return velocity_dofs + v; }

  explicit Impl(Options o) : options(o) {
    if (options.nx < 1 || options.ny < 1) throw std::invalid_argument("stokes channel: nx and ny must be at least 1");
    if (!(options.length > 0.0)) throw std::invalid_argument("stokes channel: length must be positive");
    fine_nx = 2 * options.nx + 1;
    fine_ny = 2 * options.ny + 1;
    build_triangles();
    mark_dirichlet();
    build_pattern();
  }

  void build_triangles() {
    for (std::int64_t j = 0; j < options.ny; ++j) {
      for (std::int64_t i = 0; i < options.nx; ++i) {
        const std::int64_t c = 2 * i, r = 2 * j;
        // Lower-right triangle (00, 10, 11) and upper-left (00, 11, 01), both counter-clockwise.
        p2.push_back({fine(c, r), fine(c + 2, r), fine(c + 2, r + 2), fine(c + 1, r), fine(c + 2, r + 1), fine(c + 1, r + 1)});
        p1.push_back({vertex(i, j), vertex(i + 1, j), vertex(i + 1, j + 1)});
        p2.push_back({fine(c, r), fine(c + 2, r + 2), fine(c, r + 2), fine(c + 1, r + 1), fine(c + 1, r + 2), fine(c, r + 1)});
        p1.push_back({vertex(i, j), vertex(i + 1, j + 1), vertex(i, j + 1)});
      }
    }
    if (options.inlet == InletCondition::pressure_drop) {
      for (std::int64_t j = 0; j < options.ny; ++j) inlet_edges.push_back({fine(0, 2 * j), fine(0, 2 * j + 1), fine(0, 2 * j + 2)});
    }
  }

  void mark_dirichlet() {
    velocity_dofs = 2 * fine_nx * fine_ny;
    const std::int64_t total = velocity_dofs + (options.nx + 1) * (options.ny + 1);
    std::vector<char> fixed(static_cast<std::size_t>(total), 0);
    const bool inflow = options.inlet == InletCondition::parabolic_inflow;
    for (std::int64_t column = 0; column < fine_nx; ++column) {
      for (const std::int64_t row : {std::int64_t{0}, fine_ny - 1}) {  // walls: no slip
        fixed[static_cast<std::size_t>(2 * fine(column, row))] = fixed[static_cast<std::size_t>(2 * fine(column, row) + 1)] = 1;
      }
    }
    for (std::int64_t row = 0; row < fine_ny; ++row) {
      fixed[static_cast<std::size_t>(2 * fine(0, row) + 1)] = 1;  // inlet: v = 0 in both modes
      if (inflow) fixed[static_cast<std::size_t>(2 * fine(0, row))] = 1;
      if (!inflow) fixed[static_cast<std::size_t>(2 * fine(fine_nx - 1, row) + 1)] = 1;  // pressure_drop outlet: v = 0
    }
    number_unknowns(fixed);
  }

  // The saddle-point matrix [A B^T; B 0] is symmetric but indefinite, and it is factored as
  // L D L^T without pivoting, so the elimination order has to do two jobs. Fill: a nested
  // dissection of the fine-node grid (any full coarse-vertex line separates P2 elements, so the
  // boxes are split along those lines) gives about 20% fewer flops than AMD here. Stability: a
  // pressure eliminated before any of its velocities has a zero pivot; within each dissection
  // group (a leaf box or a separator line) the velocities therefore come first and the group's
  // pressures last, so a pressure pivot is the (negative) Schur complement through velocities
  // already eliminated, a local Stokes problem, not its zero diagonal. Free dofs are numbered in
  // this order; fixed ones get -1.
  void number_unknowns(const std::vector<char>& fixed) {
    std::vector<std::vector<std::int64_t>> groups;
    dissect(0, fine_nx - 1, 0, fine_ny - 1, groups);
    free_index.assign(fixed.size(), -1);
    const auto number = [&](std::int64_t dof) {
      if (!fixed[static_cast<std::size_t>(dof)]) free_index[static_cast<std::size_t>(dof)] = unknowns++;
    };
    for (const auto& group : groups) {
      for (const std::int64_t n : group) {
        number(2 * n);
        number(2 * n + 1);
      }
      for (const std::int64_t n : group) {
        const std::int64_t column = n % fine_nx, row = n / fine_nx;
        if (column % 2 == 0 && row % 2 == 0) number(pressure_dof(vertex(column / 2, row / 2)));
      }
    }
  }

  // Appends the fine nodes of the box [c0, c1] x [r0, r1] to `groups` in elimination order:
  // both halves first, then the separator between them. The separator is the coarse-vertex
  // (even) line nearest the middle of the longer side; boxes of at most 2 x 2 nodes are leaves.
  void dissect(std::int64_t c0, std::int64_t c1, std::int64_t r0, std::int64_t r1, std::vector<std::vector<std::int64_t>>& groups) const {
    if (c0 > c1 || r0 > r1) return;
    const std::int64_t width = c1 - c0 + 1, height = r1 - r0 + 1;
    std::vector<std::int64_t> group;
    if (width <= 2 && height <= 2) {
      for (std::int64_t row = r0; row <= r1; ++row) {
        for (std::int64_t column = c0; column <= c1; ++column) group.push_back(fine(column, row));
      }
    } else if (width >= height) {
      std::int64_t m = (c0 + c1) / 2;
      m += m % 2;  // stays within [c0, c1] since width >= 3
      dissect(c0, m - 1, r0, r1, groups);
      dissect(m + 1, c1, r0, r1, groups);
      for (std::int64_t row = r0; row <= r1; ++row) group.push_back(fine(m, row));
    } else {
      std::int64_t m = (r0 + r1) / 2;
      m += m % 2;
      dissect(c0, c1, r0, m - 1, groups);
      dissect(c0, c1, m + 1, r1, groups);
      for (std::int64_t column = c0; column <= c1; ++column) group.push_back(fine(column, m));
    }
    groups.push_back(std::move(group));
  }

  // Visits every element entry (row dof, column dof, value) in a fixed order; the pattern, the
  // slots and each refill all walk the same order.
  template <class Visit>
  void for_each_entry(const std::vector<ElementMatrices>& elements, Visit&& visit) const {
    for (std::size_t e = 0; e < p2.size(); ++e) {
      const ElementMatrices& m = elements[e];
      for (int a = 0; a < 6; ++a) {
        for (int c = 0; c < 2; ++c) {
          const std::int64_t row = 2 * p2[e][a] + c;
          for (int b = 0; b < 6; ++b) visit(row, 2 * p2[e][b] + c, m.stiffness[a][b]);
          for (int k = 0; k < 3; ++k) {
            const std::int64_t p = pressure_dof(p1[e][k]);
            visit(row, p, -m.divergence[k][a][c]);  // -(p, div v)
            visit(p, row, -m.divergence[k][a][c]);  // -(q, div u)
          }
        }
      }
    }
  }

  void build_pattern() {
    const std::vector<ElementMatrices> unit(p2.size(), ElementMatrices{});
    std::vector<Eigen::Triplet<double, int>> triplets;
    for_each_entry(unit, [&](std::int64_t row, std::int64_t column, double) {
      const std::int64_t r = free_index[static_cast<std::size_t>(row)], c = free_index[static_cast<std::size_t>(column)];
      if (r >= 0 && c >= 0) triplets.emplace_back(static_cast<int>(r), static_cast<int>(c), 1.0);
    });
    matrix.resize(static_cast<int>(unknowns), static_cast<int>(unknowns));
    matrix.setFromTriplets(triplets.begin(), triplets.end());
    matrix.makeCompressed();
    for_each_entry(unit, [&](std::int64_t row, std::int64_t column, double) {
      const std::int64_t r = free_index[static_cast<std::size_t>(row)], c = free_index[static_cast<std::size_t>(column)];
      if (r < 0) return;  // a Dirichlet row: its equation is replaced by the prescribed value
      slots.push_back(c >= 0 ? &matrix.coeffRef(static_cast<int>(r), static_cast<int>(c)) - matrix.valuePtr() : -1);
    });
    ldlt.analyzePattern(matrix);
  }

  // Prescribed values of the full velocity dofs (zero except the parabolic inflow).
  std::vector<double> dirichlet_values() const {
    std::vector<double> values(free_index.size(), 0.0);
    if (options.inlet != InletCondition::parabolic_inflow) return values;
    const double y0 = nodes[static_cast<std::size_t>(fine(0, 0))].y, y1 = nodes[static_cast<std::size_t>(fine(0, fine_ny - 1))].y;
    const double h = y1 - y0;
    for (std::int64_t row = 0; row < fine_ny; ++row) {
      const double y = nodes[static_cast<std::size_t>(fine(0, row))].y;
      values[static_cast<std::size_t>(2 * fine(0, row))] = 6.0 * options.inflow_flux * (y - y0) * (y1 - y) / (h * h * h);
    }
    return values;
  }

  void place_nodes(const std::vector<Point2>& v) {
    vertices = v;
    nodes.assign(static_cast<std::size_t>(fine_nx * fine_ny), Point2{});
    for (std::int64_t j = 0; j <= options.ny; ++j) {
      for (std::int64_t i = 0; i <= options.nx; ++i) nodes[static_cast<std::size_t>(fine(2 * i, 2 * j))] = v[static_cast<std::size_t>(vertex(i, j))];
    }
    for (const auto& t : p2) {  // straight-sided: mid-nodes at the midpoints of the deformed edges
      for (int e = 0; e < 3; ++e) {
        const Point2& a = nodes[static_cast<std::size_t>(t[kEdge[e][0]])];
        const Point2& b = nodes[static_cast<std::size_t>(t[kEdge[e][1]])];
        nodes[static_cast<std::size_t>(t[3 + e])] = {0.5 * (a.x + b.x), 0.5 * (a.y + b.y)};
      }
    }
  }

  void solve(const std::vector<Point2>& v) {
    if (static_cast<std::int64_t>(v.size()) != (options.nx + 1) * (options.ny + 1)) {
      throw std::invalid_argument("stokes channel: expected " + std::to_string((options.nx + 1) * (options.ny + 1)) + " vertices, got " +
                                  std::to_string(v.size()));
    }
    solved = false;
    place_nodes(v);
    std::vector<ElementMatrices> elements(p2.size());
    for (std::size_t e = 0; e < p2.size(); ++e) {
      const AffineTriangle t = affine_triangle(vertices[static_cast<std::size_t>(p1[e][0])], vertices[static_cast<std::size_t>(p1[e][1])],
                                               vertices[static_cast<std::size_t>(p1[e][2])]);
      if (!(t.area > 0.0)) throw std::domain_error("stokes channel: triangle " + std::to_string(e) + " is inverted or flat");
      elements[e] = element_matrices(t);
    }
    const std::vector<double> prescribed = dirichlet_values();
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(unknowns));
    std::fill(matrix.valuePtr(), matrix.valuePtr() + matrix.nonZeros(), 0.0);
    double* values = matrix.valuePtr();
    std::size_t next = 0;
    for_each_entry(elements, [&](std::int64_t row, std::int64_t column, double value) {
      const std::int64_t r = free_index[static_cast<std::size_t>(row)];
      if (r < 0) return;
      const std::int64_t slot = slots[next++];
      if (slot >= 0) {
        values[slot] += value;
      } else {
        rhs[static_cast<Eigen::Index>(r)] -= value * prescribed[static_cast<std::size_t>(column)];
      }
    });
    add_inlet_traction(rhs);
    const Eigen::VectorXd x = factor_and_solve(rhs);
    solution = prescribed;
    for (std::size_t d = 0; d < free_index.size(); ++d) {
      if (free_index[d] >= 0) solution[d] = x[static_cast<Eigen::Index>(free_index[d])];
    }
    solved = true;
  }

  // Factors the assembled matrix and solves, with one step of iterative refinement: without
  // pivoting the indefinite factorization may lose a few digits to growth, which one residual
  // correction with the same factors recovers (cheap next to the factorization).
  Eigen::VectorXd factor_and_solve(const Eigen::VectorXd& rhs) {
    ldlt.factorize(matrix);
    // Without pivoting a singular matrix shows up as a pivot at round-off level (Eigen flags
    // only exact zeros). min |D| / max |D| falls like h^2: about 1e-6 at the default size, 6e-8
    // at 20 x 40 on a unit length; the singular one-cell pressure_drop mesh gives 3e-18.
    const Eigen::VectorXd pivots = ldlt.vectorD().cwiseAbs();
    if (ldlt.info() != Eigen::Success || !(pivots.minCoeff() > 1e-13 * pivots.maxCoeff())) {
      throw std::runtime_error("stokes channel: the saddle-point matrix is singular");
    }
    Eigen::VectorXd x = ldlt.solve(rhs);
    const Eigen::VectorXd residual = rhs - matrix * x;
    x += ldlt.solve(residual);
    return x;
  }

  // pressure_drop: the natural condition du/dn - p n = -p_in n on the inlet. On a straight edge
  // the 1-D quadratic basis integrates to length * (1/6, 2/3, 1/6).
  void add_inlet_traction(Eigen::VectorXd& rhs) const {
    for (const auto& edge : inlet_edges) {
      const Point2& a = nodes[static_cast<std::size_t>(edge[0])];
      const Point2& b = nodes[static_cast<std::size_t>(edge[2])];
      // Walking the inlet upwards the domain lies to the right, so the outward normal times the
      // length is (-(b.y - a.y), b.x - a.x).
      const Point2 normal_length{-(b.y - a.y), b.x - a.x};
      const std::array<double, 3> weights = {1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0};
      for (int n = 0; n < 3; ++n) {
        for (int c = 0; c < 2; ++c) {
          const std::int64_t r = free_index[static_cast<std::size_t>(2 * edge[n] + c)];
          if (r >= 0) rhs[static_cast<Eigen::Index>(r)] -= options.pressure_drop * weights[n] * (c == 0 ? normal_length.x : normal_length.y);
        }
      }
    }
  }

  void require_solved() const {
    if (!solved) throw std::logic_error("stokes channel: no solution yet (call solve)");
  }

  // int u . n ds along the fine-node path `path` (quadratic on each pair of fine steps), with n
  // the path's tangent turned clockwise.
  double path_flux(const std::vector<std::int64_t>& path) const {
    double flux = 0.0;
    for (std::size_t k = 0; k + 2 < path.size(); k += 2) {
      const Point2& a = nodes[static_cast<std::size_t>(path[k])];
      const Point2& b = nodes[static_cast<std::size_t>(path[k + 2])];
      const std::array<double, 3> weights = {1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0};
      for (int n = 0; n < 3; ++n) {
        const std::size_t node = static_cast<std::size_t>(path[k + static_cast<std::size_t>(n)]);
        flux += weights[n] * (solution[2 * node] * (b.y - a.y) - solution[2 * node + 1] * (b.x - a.x));
      }
    }
    return flux;
  }
};

StokesChannel::StokesChannel(Options options) : impl_(std::make_unique<Impl>(options)) {}
StokesChannel::~StokesChannel() = default;
StokesChannel::StokesChannel(StokesChannel&&) noexcept = default;
StokesChannel& StokesChannel::operator=(StokesChannel&&) noexcept = default;

const StokesChannel::Options& StokesChannel::options() const { return impl_->options; }

std::vector<Point2> StokesChannel::reference_vertices() const {
  const Options& o = impl_->options;
  std::vector<Point2> v;
  for (std::int64_t j = 0; j <= o.ny; ++j) {
    for (std::int64_t i = 0; i <= o.nx; ++i) v.push_back({o.length * static_cast<double>(i) / static_cast<double>(o.nx), static_cast<double>(j) / static_cast<double>(o.ny)});
  }
  return v;
}

void StokesChannel::solve(const std::vector<Point2>& vertices) { impl_->solve(vertices); }

Point2 StokesChannel::node(std::int64_t column, std::int64_t row) const {
  impl_->require_solved();
  if (column < 0 || column >= impl_->fine_nx || row < 0 || row >= impl_->fine_ny) throw std::out_of_range("stokes channel: no such fine node");
  return impl_->nodes[static_cast<std::size_t>(impl_->fine(column, row))];
}

Point2 StokesChannel::velocity(std::int64_t column, std::int64_t row) const {
  impl_->require_solved();
  if (column < 0 || column >= impl_->fine_nx || row < 0 || row >= impl_->fine_ny) throw std::out_of_range("stokes channel: no such fine node");
  const std::size_t n = static_cast<std::size_t>(impl_->fine(column, row));
  return {impl_->solution[2 * n], impl_->solution[2 * n + 1]};
}

double StokesChannel::pressure(std::int64_t vertex_column, std::int64_t vertex_row) const {
  impl_->require_solved();
  if (vertex_column < 0 || vertex_column > impl_->options.nx || vertex_row < 0 || vertex_row > impl_->options.ny) {
    throw std::out_of_range("stokes channel: no such vertex");
  }
  return impl_->solution[static_cast<std::size_t>(impl_->pressure_dof(impl_->vertex(vertex_column, vertex_row)))];
}

const std::vector<Point2>& StokesChannel::vertices() const {
  impl_->require_solved();
  return impl_->vertices;
}

OutletProfile StokesChannel::outlet_profile() const {
  impl_->require_solved();
  OutletProfile profile;
  for (std::int64_t row = 0; row < impl_->fine_ny; ++row) {
    const std::size_t n = static_cast<std::size_t>(impl_->fine(impl_->fine_nx - 1, row));
    profile.y.push_back(impl_->nodes[n].y);
    profile.u.push_back(impl_->solution[2 * n]);
  }
  return profile;
}

std::vector<double> StokesChannel::outlet_segment_fluxes(std::int64_t segments) const {
  impl_->require_solved();
  if (segments < 1) throw std::invalid_argument("stokes channel: at least one outlet segment");
  // The outlet is one straight vertical line (its column is never displaced): integrate the
  // quadratic u of each coarse edge over its overlap with each segment by 2-point Gauss-Legendre
  // (exact to degree 3). Assumes the outlet x is constant; its y runs bottom to top.
  const OutletProfile p = outlet_profile();
  const double y0 = p.y.front(), y1 = p.y.back(), width = (y1 - y0) / static_cast<double>(segments);
  std::vector<double> flux(static_cast<std::size_t>(segments), 0.0);
  const double gauss = 0.5 / std::sqrt(3.0);
  for (std::size_t k = 0; k + 2 < p.y.size(); k += 2) {
    const double ea = p.y[k], eb = p.y[k + 2];
    for (std::int64_t s = 0; s < segments; ++s) {
      const double lo = std::max(ea, y0 + width * static_cast<double>(s));
      const double hi = std::min(eb, s + 1 == segments ? y1 : y0 + width * static_cast<double>(s + 1));
      if (!(hi > lo)) continue;
      for (const double offset : {-gauss, gauss}) {
        const double y = 0.5 * (lo + hi) + offset * (hi - lo);
        const std::array<double, 3> phi = quadratic_basis((y - ea) / (eb - ea));
        const double u = phi[0] * p.u[k] + phi[1] * p.u[k + 1] + phi[2] * p.u[k + 2];
        flux[static_cast<std::size_t>(s)] += 0.5 * (hi - lo) * u;
      }
    }
  }
  return flux;
}

double StokesChannel::column_flux(std::int64_t vertex_column) const {
  impl_->require_solved();
  if (vertex_column < 0 || vertex_column > impl_->options.nx) throw std::out_of_range("stokes channel: no such vertex column");
  std::vector<std::int64_t> path;
  for (std::int64_t row = 0; row < impl_->fine_ny; ++row) path.push_back(impl_->fine(2 * vertex_column, row));
  return impl_->path_flux(path);
}

// --- WallFfd ------------------------------------------------------------------------------------

WallFfd::WallFfd(double length, std::int64_t controls, double taper) : length_(length), controls_(controls), taper_(taper) {
  if (controls < 1) throw std::invalid_argument("wall FFD: at least one control point");
  if (!(length > 0.0)) throw std::invalid_argument("wall FFD: length must be positive");
  if (!(taper > -1.0 && taper < 1.0)) throw std::invalid_argument("wall FFD: taper must lie in (-1, 1)");
  const std::int64_t columns = controls + 2;
  degree_ = std::min<std::int64_t>(3, columns - 1);
  // Clamped uniform knots: degree + 1 zeros, the interior equally spaced, degree + 1 ones.
  const std::int64_t spans = columns - degree_;
  for (std::int64_t k = 0; k < degree_; ++k) knots_.push_back(0.0);
  for (std::int64_t k = 0; k <= spans; ++k) knots_.push_back(static_cast<double>(k) / static_cast<double>(spans));
  for (std::int64_t k = 0; k < degree_; ++k) knots_.push_back(1.0);
  // Greville abscissae: the average of the degree knots after each basis function's first.
  for (std::int64_t i = 0; i < columns; ++i) {
    double sum = 0.0;
    for (std::int64_t k = 1; k <= degree_; ++k) sum += knots_[static_cast<std::size_t>(i + k)];
    greville_.push_back(sum / static_cast<double>(degree_));
  }
}

std::vector<double> WallFfd::basis(double s) const {
  // Cox-de Boor from the degree-0 indicator of the span holding s (the last span holds s = 1).
  const std::size_t columns = greville_.size(), p = static_cast<std::size_t>(degree_);
  s = std::clamp(s, 0.0, 1.0);
  std::size_t span = p;
  while (span + 1 < columns && s >= knots_[span + 1]) ++span;
  std::vector<double> n(knots_.size() - 1, 0.0);
  n[span] = 1.0;
  for (std::size_t d = 1; d <= p; ++d) {
    for (std::size_t i = 0; i + d < knots_.size() - 1; ++i) {
      double value = 0.0;
      const double left = knots_[i + d] - knots_[i], right = knots_[i + d + 1] - knots_[i + 1];
      if (left > 0.0) value += (s - knots_[i]) / left * n[i];
      if (right > 0.0) value += (knots_[i + d + 1] - s) / right * n[i + 1];
      n[i] = value;
    }
  }
  n.resize(columns);
  return n;
}

std::vector<Point2> WallFfd::control_points(const std::vector<double>& displacements) const {
  if (static_cast<std::int64_t>(displacements.size()) != controls_) {
    throw std::invalid_argument("wall FFD: expected " + std::to_string(controls_) + " displacements, got " + std::to_string(displacements.size()));
  }
  constexpr double kHalfHeight = 0.5;
  std::vector<Point2> lattice;
  for (int row = 0; row < 2; ++row) {  // linear B-splines in y: Greville abscissae 0 and 1
    for (std::size_t i = 0; i < greville_.size(); ++i) {
      const bool inner = i > 0 && i + 1 < greville_.size();
      const double baseline = -taper_ * (1.0 - greville_[i]);  // straight taper from the inlet to the outlet
      const double shift = kHalfHeight * (baseline + (inner ? displacements[i - 1] : 0.0));
      lattice.push_back({length_ * greville_[i], row == 0 ? -shift : 1.0 + shift});  // mirrored walls
    }
  }
  return lattice;
}

std::vector<Point2> WallFfd::deform(const std::vector<Point2>& reference, const std::vector<double>& displacements) const {
  const std::vector<Point2> lattice = control_points(displacements);
  const std::size_t columns = greville_.size();
  std::vector<Point2> out;
  out.reserve(reference.size());
  for (const Point2& r : reference) {
    const std::vector<double> bs = basis(r.x / length_);
    const double t = r.y, bt[2] = {1.0 - t, t};
    Point2 q;
    for (std::size_t row = 0; row < 2; ++row) {
      for (std::size_t i = 0; i < columns; ++i) {
        const double w = bt[row] * bs[i];
        q.x += w * lattice[row * columns + i].x;
        q.y += w * lattice[row * columns + i].y;
      }
    }
    out.push_back(q);
  }
  return out;
}

// --- Uniformity ---------------------------------------------------------------------------------

double flux_uniformity(const std::vector<double>& segment_fluxes) {
  if (segment_fluxes.empty()) throw std::invalid_argument("uniformity: no segments");
  double mean = 0.0;
  for (const double q : segment_fluxes) mean += q;
  mean /= static_cast<double>(segment_fluxes.size());
  if (!(mean > 0.0)) return 0.0;  // no net outflow: as far from uniform as it gets
  double deviation = 0.0;
  for (const double q : segment_fluxes) deviation += std::abs(q - mean);
  deviation /= static_cast<double>(segment_fluxes.size()) * mean;
  return std::clamp(1.0 - deviation, 0.0, 1.0);
}

// --- ChannelFlow --------------------------------------------------------------------------------

namespace {

ChannelFlow::Options checked(ChannelFlow::Options o) {
  if (o.nx < 1 || o.ny < 1) throw std::invalid_argument("channel_flow: nx and ny must be at least 1");
  if (!(o.length > 0.0)) throw std::invalid_argument("channel_flow: length must be positive");
  if (o.controls < 1) throw std::invalid_argument("channel_flow: at least one control point");
  if (!(o.taper > -1.0 && o.taper < 1.0)) throw std::invalid_argument("channel_flow: taper must lie in (-1, 1)");
  // y_t = 1 + baseline + d >= 1 - max(taper, 0) - max_displacement must stay positive.
  if (!(o.max_displacement > 0.0 && o.max_displacement + std::max(o.taper, 0.0) < 1.0)) {
    throw std::invalid_argument("channel_flow: max_displacement must be positive with max_displacement + max(taper, 0) < 1");
  }
  if (o.segments < 1) throw std::invalid_argument("channel_flow: at least one outlet segment");
  if (!(o.increment > 0.0)) throw std::invalid_argument("channel_flow: increment must be positive");
  if (o.episode_length < 1) throw std::invalid_argument("channel_flow: episode_length must be positive");
  if (!(o.reset_noise >= 0.0 && o.reset_noise <= 1.0)) throw std::invalid_argument("channel_flow: reset_noise must lie in [0, 1]");
  return o;
}

StokesChannel::Options solver_options(const ChannelFlow::Options& o) {
  StokesChannel::Options s;
  s.nx = o.nx;
  s.ny = o.ny;
  s.length = o.length;
  return s;
}

}  // namespace

ChannelFlow::ChannelFlow(Options options)
    : options_(checked(options)), ffd_(options_.length, options_.controls, options_.taper), solver_(std::make_unique<StokesChannel>(solver_options(options_))) {
  reference_vertices_ = solver_->reference_vertices();
  displacements_.assign(static_cast<std::size_t>(options_.controls), 0.0);
}

ChannelFlow::~ChannelFlow() = default;

std::vector<double> ChannelFlow::solve_fluxes(const std::vector<double>& displacements) {
  if (static_cast<std::int64_t>(displacements.size()) != options_.controls) {
    throw std::invalid_argument("channel_flow: expected " + std::to_string(options_.controls) + " displacements, got " + std::to_string(displacements.size()));
  }
  for (const double d : displacements) {
    if (!(std::abs(d) <= options_.max_displacement)) throw std::invalid_argument("channel_flow: a displacement outside +-max_displacement");
  }
  solver_->solve(ffd_.deform(reference_vertices_, displacements));
  ++solver_calls_;
  return solver_->outlet_segment_fluxes(options_.segments);
}

ShapeSolution ChannelFlow::solve_shape(const std::vector<double>& displacements) {
  ShapeSolution s;
  s.segment_fluxes = solve_fluxes(displacements);
  s.displacements = displacements;
  s.uniformity = flux_uniformity(s.segment_fluxes);
  s.outlet = solver_->outlet_profile();
  s.vertices = solver_->vertices();
  return s;
}

double ChannelFlow::uniformity(const std::vector<double>& displacements) { return flux_uniformity(solve_fluxes(displacements)); }

const std::vector<Point2>& ChannelFlow::mesh_vertices() const { return solver_->vertices(); }

OutletProfile ChannelFlow::outlet_profile() const { return solver_->outlet_profile(); }

std::vector<double> ChannelFlow::observation(const std::vector<double>& segment_fluxes) const {
  std::vector<double> obs;
  for (const double d : displacements_) obs.push_back(d / options_.max_displacement);
  double total = 0.0;
  for (const double q : segment_fluxes) total += q;
  for (const double q : segment_fluxes) obs.push_back(total > 0.0 ? static_cast<double>(options_.segments) * q / total : 0.0);
  if (options_.mode == ActionMode::incremental) {
    obs.push_back(static_cast<double>(options_.episode_length - steps_) / static_cast<double>(options_.episode_length));
  }
  return obs;
}

std::vector<double> ChannelFlow::start_episode(std::vector<double> start) {
  displacements_ = std::move(start);
  steps_ = 0;
  episode_open_ = true;
  const bool reference = std::all_of(displacements_.begin(), displacements_.end(), [](double d) { return d == 0.0; });
  std::vector<double> fluxes;
  if (reference && !reference_fluxes_.empty()) {
    fluxes = reference_fluxes_;  // the reference start is solved once per environment
  } else {
    fluxes = solve_fluxes(displacements_);
    if (reference) reference_fluxes_ = fluxes;
  }
  uniformity_ = flux_uniformity(fluxes);
  return observation(fluxes);
}

std::vector<double> ChannelFlow::reset(std::uint64_t seed) {
  rng_ = Rng(seed);
  return reset_continuing();
}

std::vector<double> ChannelFlow::reset_continuing() {
  std::vector<double> start(static_cast<std::size_t>(options_.controls), 0.0);
  if (options_.reset_noise > 0.0) {
    const double half_width = options_.reset_noise * options_.max_displacement;
    for (double& d : start) d = std::clamp(half_width * (2.0 * rng_.uniform() - 1.0), -options_.max_displacement, options_.max_displacement);
  }
  return start_episode(std::move(start));
}

Transition ChannelFlow::step(const std::vector<double>& action) {
  if (!episode_open_) throw std::logic_error("channel_flow: step without an open episode (call reset)");
  if (static_cast<std::int64_t>(action.size()) != options_.controls) {
    throw std::invalid_argument("channel_flow: an action has " + std::to_string(options_.controls) + " values, got " + std::to_string(action.size()));
  }
  const double bound = options_.max_displacement;
  for (std::size_t i = 0; i < action.size(); ++i) {
    if (!std::isfinite(action[i])) throw std::invalid_argument("channel_flow: a non-finite action");
    const double a = std::clamp(action[i], -1.0, 1.0);
    displacements_[i] = options_.mode == ActionMode::direct ? a * bound : std::clamp(displacements_[i] + a * options_.increment, -bound, bound);
  }
  const std::vector<double> fluxes = solve_fluxes(displacements_);
  const double previous = uniformity_;
  uniformity_ = flux_uniformity(fluxes);
  ++steps_;
  Transition t;
  t.observation = observation(fluxes);
  if (options_.mode == ActionMode::direct) {
    t.reward = uniformity_;
    t.terminated = true;
  } else {
    t.reward = uniformity_ - previous;
    t.terminated = steps_ >= options_.episode_length;
  }
  episode_open_ = !(t.terminated || t.truncated);
  return t;
}

std::unique_ptr<Environment> ChannelFlow::clone() const { return std::make_unique<ChannelFlow>(options_); }

}  // namespace descent::rl
