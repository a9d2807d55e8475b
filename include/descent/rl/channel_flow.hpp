// A 2-D flow-channel shape-optimization environment: a torch-free analog of Fricke, Wolff,
// Kemmerling & Elgeti, "Investigation of reinforcement learning for shape optimization of profile
// extrusion dies" (2023). There, agents move free-form-deformation (FFD) spline control points
// that deform the mesh of a flow channel, and a CFD solve scores the homogeneity of the outlet
// flow. Their solver is not available; this file builds a small one.
//
// Physics (StokesChannel): steady Stokes flow, viscosity 1,
//   -lap u + grad p = 0,  div u = 0,
// in the weak form a(u, v) = int grad u : grad v (the gradient, not the symmetric-gradient form,
// so that "do nothing" at the outlet, du/dn - p n = 0, keeps a Poiseuille profile exact),
// discretized by Taylor-Hood P2-P1 elements on a structured triangulation: an (nx+1) x (ny+1)
// vertex grid on the reference rectangle [0, length] x [0, 1], each cell split along its
// lower-left to upper-right diagonal. Pressure lives on the vertices (P1), velocity on the
// (2nx+1) x (2ny+1) fine grid of vertices and edge midpoints (P2). Elements are straight-sided:
// a mid-node sits at the midpoint of its deformed edge, so every element map is affine and the
// edge-midpoint quadrature integrates the (quadratic) stiffness and divergence terms exactly.
// Boundary conditions:
//   - parabolic_inflow: inlet (x = 0) u = 6 Q (y - y0)(y1 - y) / h^3, v = 0 (flux Q); top and
//     bottom walls no-slip; outlet (x = length) do-nothing (zero traction);
//   - pressure_drop: inlet traction -p_in n, outlet traction 0, v = 0 on both, walls no-slip; a
//     straight channel then carries u(y) = (p_in / length) / 2 * y (1 - y).
// The saddle-point system (Dirichlet rows and columns both eliminated, so it stays symmetric) is
// factored as L D L^T by Eigen's SimplicialLDLT without pivoting, in a nested-dissection order of
// the fine grid that puts each group's pressures after its velocities (so no pressure pivot is
// zero), followed by one step of iterative refinement. It agrees with a pivoting SparseLU solve to
// round-off and takes about a quarter of its time (~9 ms at 32 x 16). The topology is fixed, so the
// order and the pattern are set up once per solver and each shape only refills the values and
// refactorizes.
//
// Geometry (WallFfd): a tensor-product B-spline FFD lattice over the reference rectangle,
// (controls + 2) columns of clamped uniform cubic B-splines in x (clamped, i.e. open with end
// knots of multiplicity 4, so the first and last columns interpolate the inlet and outlet and
// fixing them keeps both straight and in place) times 2 rows of linear B-splines in y. Control
// points start at their Greville abscissae, where linear precision makes the map the identity.
// The shape parameters are the vertical displacements of the top row's inner `controls` points,
// in units of the reference half height (0.5), mirrored onto the bottom row (a symmetric die); the
// inlet and outlet columns stay fixed. An optional baseline `taper` t moves the top row by
// -t (1 - greville) half heights (mirrored), a straight wall from an inlet of height 1 - t to the
// outlet of height 1 (t > 0: a die with a narrow inlet); default 0. Linear in y because then
// y_t = 1 + b(x) + d(x) (b the taper, d a convex combination of the displacements): no element
// can invert while max(t, 0) + max |d_i| < 1, which the options enforce. A cubic in y would
// concentrate the motion near the walls and invert elements already at d = -1/3.
//
// Reward (outlet-flow uniformity): the outlet is split into K equal segments with fluxes q_k
// (exact integrals of the P2 velocity), and
//   U = 1 - (1/K) sum_k |q_k - mean q| / mean q,   clipped to [0, 1]
// (1 = every segment carries the same flux; higher is better). The reference design is the
// straight channel, whose outlet carries the Poiseuille profile: U = 0.625 exactly for K = 4 and
// for K = 8 (both come to a mean deviation of 3/8). No-slip corners make U = 1 unreachable. What
// helps is a bulge of the walls upstream of the outlet that is pulled back in just before it:
// the outlet then sits at the end of a short contraction, which flattens the profile; too steep a
// contraction overshoots (velocity maxima near the walls), so the last control point before the
// outlet has an interior optimum (about 0.59 half heights at the defaults) while the upstream
// ones push the bulge to the bound; the first control point hardly matters (Stokes disturbances
// decay within about a channel height). Nelder-Mead reaches U = 0.7226 in 90 solves (the tests);
// the landscape is flat near the top (the same bulge with the last point at the bound: 0.7214). Tapered dies
// (t > 0) start lower (U = 0.60 for t = 0.5) and end at the same kind of shape.
//
// Environment (ChannelFlow): observation = displacements / max_displacement (in [-1, 1]) followed
// by the K normalized segment fluxes K q_k / Q (1 when uniform), and in incremental mode the
// fraction of the episode's steps still to come. Action: `controls` values in [-1, 1] (clipped).
//   - direct: the action times max_displacement is the shape; one solve; reward U; terminated.
//   - incremental: each step adds action * increment to the displacements (clipped to
//     +-max_displacement) and solves; the reward is the change in U, so an episode's return
//     telescopes to U(final) - U(start); terminated after episode_length steps. The horizon is
//     part of the task (the design is what the last step leaves), not a time limit imposed on it:
//     nothing is earned after it, so the episode terminates rather than truncates (a truncation
//     would have the value target bootstrap a future that does not exist), and the steps left are
//     observed, without which the state is not Markov (Pardo, Tavakoli, Levdik & Kormushev, "Time
//     Limits in Reinforcement Learning", ICML 2018).
// reset draws the start displacements uniform in +-reset_noise * max_displacement from the
// environment's generator (reset_noise = 0: always the reference shape; its solve is cached).
// Free of LibTorch; Eigen stays inside the .cpp files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "descent/core/rng.hpp"
#include "descent/rl/environment.hpp"

namespace descent::rl {

struct Point2 {
  double x = 0.0, y = 0.0;
};

enum class InletCondition { parabolic_inflow, pressure_drop };

// The outlet's fine-grid nodes, bottom to top: their y and x-velocity.
struct OutletProfile {
  std::vector<double> y, u;
};

class StokesChannel {
public:
  struct Options {
    std::int64_t nx = 32, ny = 16;  // coarse cells along and across the channel
    double length = 3.0;
    InletCondition inlet = InletCondition::parabolic_inflow;
    double inflow_flux = 1.0;    // parabolic_inflow: Q
    double pressure_drop = 1.0;  // pressure_drop: p_in
  };
  // Throws std::invalid_argument for nx < 1, ny < 1 or length <= 0. Analyzes the sparsity pattern.
  explicit StokesChannel(Options options);
  ~StokesChannel();
  StokesChannel(StokesChannel&&) noexcept;
  StokesChannel& operator=(StokesChannel&&) noexcept;

  const Options& options() const;
  std::int64_t fine_columns() const { return 2 * options().nx + 1; }
  std::int64_t fine_rows() const { return 2 * options().ny + 1; }

  // The coarse vertices of the reference rectangle, index j * (nx + 1) + i (i along x).
  std::vector<Point2> reference_vertices() const;
  // Sets the deformed coarse vertices (same indexing) and solves. Throws std::invalid_argument
  // for a wrong count and std::domain_error naming the element when one is inverted or flat.
  void solve(const std::vector<Point2>& vertices);

  // After a solve. Fine-grid node (column I in [0, 2nx], row J in [0, 2ny]).
  Point2 node(std::int64_t column, std::int64_t row) const;
  Point2 velocity(std::int64_t column, std::int64_t row) const;
  double pressure(std::int64_t vertex_column, std::int64_t vertex_row) const;
  const std::vector<Point2>& vertices() const;
  OutletProfile outlet_profile() const;
  // The flux through K equal pieces of the outlet, bottom to top (exact for the P2 field).
  std::vector<double> outlet_segment_fluxes(std::int64_t segments) const;
  // The flux int u . n ds across vertex column i (0 = inlet, nx = outlet), n pointing downstream.
  double column_flux(std::int64_t vertex_column) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Cubic (or lower, with fewer columns) clamped B-spline x linear B-spline FFD of the reference
// rectangle [0, length] x [0, 1]; see the file comment.
class WallFfd {
public:
  // Throws std::invalid_argument for controls < 1, length <= 0 or |taper| >= 1.
  WallFfd(double length, std::int64_t controls, double taper = 0.0);

  std::int64_t columns() const { return static_cast<std::int64_t>(greville_.size()); }
  std::int64_t degree() const { return degree_; }
  // The lattice, row-major (row 0 = bottom, row 1 = top), for `displacements` (half heights).
  std::vector<Point2> control_points(const std::vector<double>& displacements) const;
  // The basis values of the x direction at s in [0, 1] (one per column; they sum to 1).
  std::vector<double> basis(double s) const;
  // Maps reference points through the lattice of `displacements`.
  std::vector<Point2> deform(const std::vector<Point2>& reference, const std::vector<double>& displacements) const;

private:
  double length_ = 3.0;
  std::int64_t controls_ = 5, degree_ = 3;
  double taper_ = 0.0;
  std::vector<double> knots_, greville_;
};

// The uniformity index U of segment fluxes (see the file comment), in [0, 1].
double flux_uniformity(const std::vector<double>& segment_fluxes);

enum class ActionMode { direct, incremental };

// Everything about one solved shape, for reports.
struct ShapeSolution {
  std::vector<double> displacements;
  double uniformity = 0.0;
  std::vector<double> segment_fluxes;
  OutletProfile outlet;
  std::vector<Point2> vertices;  // deformed coarse mesh, index j * (nx + 1) + i
};

class ChannelFlow : public Environment {
public:
  struct Options {
    std::int64_t nx = 32, ny = 16;
    double length = 3.0;
    double taper = 0.0;               // baseline inlet narrowing, in half heights (see above)
    std::int64_t controls = 5;       // displaced control points of the top wall (mirrored below)
    double max_displacement = 0.7;   // bound on |displacement| in half heights (0.35 heights)
    std::int64_t segments = 8;       // K outlet segments of the uniformity index
    ActionMode mode = ActionMode::direct;
    double increment = 0.1;           // incremental: displacement per unit action and step (half heights)
    std::int64_t episode_length = 10;  // incremental: steps per episode
    double reset_noise = 0.0;          // start displacements uniform in +-reset_noise * max_displacement
  };
  // Throws std::invalid_argument for an option out of range.
  explicit ChannelFlow(Options options);
  ~ChannelFlow() override;

  std::string name() const override { return "channel_flow"; }
  std::int64_t observation_size() const override {
    return options_.controls + options_.segments + (options_.mode == ActionMode::incremental ? 1 : 0);
  }
  ActionSpace action_space() const override { return {0, options_.controls, -1.0, 1.0}; }
  std::vector<double> reset(std::uint64_t seed) override;
  std::vector<double> reset_continuing() override;
  // Throws std::logic_error before a reset or after the episode ended, std::invalid_argument for
  // a wrong action size or a non-finite action.
  Transition step(const std::vector<double>& action) override;
  // A copy with its own solver and factorization, its counter at 0; usable on another thread.
  std::unique_ptr<Environment> clone() const override;

  const Options& options() const { return options_; }
  // Solves the shape with these displacements (half heights, each within +-max_displacement,
  // else std::invalid_argument) and returns U. Leaves the episode alone.
  double uniformity(const std::vector<double>& displacements);
  ShapeSolution solve_shape(const std::vector<double>& displacements);
  std::int64_t solver_calls() const { return solver_calls_; }

  // The episode's state.
  const std::vector<double>& displacements() const { return displacements_; }
  double current_uniformity() const { return uniformity_; }
  std::int64_t steps() const { return steps_; }
  // The last solved shape (by reset, step, uniformity or solve_shape; a reset to the cached
  // reference shape does not solve).
  const std::vector<Point2>& mesh_vertices() const;
  OutletProfile outlet_profile() const;
  const StokesChannel& solver() const { return *solver_; }

private:
  std::vector<double> observation(const std::vector<double>& segment_fluxes) const;
  std::vector<double> solve_fluxes(const std::vector<double>& displacements);
  std::vector<double> start_episode(std::vector<double> start);

  Options options_;
  WallFfd ffd_;
  std::unique_ptr<StokesChannel> solver_;
  std::vector<Point2> reference_vertices_;
  Rng rng_{0};
  std::vector<double> displacements_;
  double uniformity_ = 0.0;
  std::int64_t steps_ = 0;
  bool episode_open_ = false;
  std::int64_t solver_calls_ = 0;
  std::vector<double> reference_fluxes_;  // cached solve of the zero shape
};

}  // namespace descent::rl
