// The flow-channel environment: the Taylor-Hood Stokes solver against Poiseuille flow (pressure
// driven and with the parabolic inflow, which P2-P1 represents exactly), exact flux conservation
// on a deformed channel, the B-spline FFD (identity at the Greville abscissae, walls moved with the
// inlet and outlet fixed), the uniformity index, the environment's direct and incremental modes,
// seeding, clones on two threads, and Nelder-Mead improving on the straight channel.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "descent/rl/channel_flow.hpp"
#include "descent/rl/nelder_mead.hpp"

namespace descent::rl {
namespace {

ChannelFlow::Options small_options() {
  ChannelFlow::Options o;
  o.nx = 16;
  o.ny = 8;
  return o;
}

TEST(StokesChannel, PressureDrivenPoiseuille) {
  StokesChannel::Options o;
  o.inlet = InletCondition::pressure_drop;
  o.pressure_drop = 2.0;
  StokesChannel solver(o);
  solver.solve(solver.reference_vertices());
  const double gradient = o.pressure_drop / o.length;  // u(y) = (dp/L)/2 y (1 - y)
  double error = 0.0;
  for (std::int64_t row = 0; row < solver.fine_rows(); ++row) {
    const Point2 p = solver.node(o.nx, row);  // fine column nx: mid-length
    EXPECT_NEAR(p.x, 0.5 * o.length, 1e-14);
    const Point2 u = solver.velocity(o.nx, row);
    error = std::max(error, std::abs(u.x - 0.5 * gradient * p.y * (1.0 - p.y)));
    EXPECT_NEAR(u.y, 0.0, 1e-10);
  }
  EXPECT_LT(error, 1e-10);
  std::cout << "Poiseuille max |u - exact| at mid-length: " << error << "\n";
  for (const std::int64_t column : {std::int64_t{0}, o.nx / 2, o.nx}) EXPECT_NEAR(solver.column_flux(column), gradient / 12.0, 1e-12);
  // The pressure falls linearly from p_in to 0.
  for (std::int64_t i = 0; i <= o.nx; ++i) EXPECT_NEAR(solver.pressure(i, o.ny / 2), o.pressure_drop * (1.0 - static_cast<double>(i) / static_cast<double>(o.nx)), 1e-10);
}

TEST(StokesChannel, ParabolicInflowLeavesUnchanged) {
  StokesChannel solver(StokesChannel::Options{});
  solver.solve(solver.reference_vertices());
  const OutletProfile outlet = solver.outlet_profile();
  ASSERT_EQ(outlet.y.size(), 33u);
  for (std::size_t k = 0; k < outlet.y.size(); ++k) EXPECT_NEAR(outlet.u[k], 6.0 * outlet.y[k] * (1.0 - outlet.y[k]), 1e-10);
  // Divergence-free: the same unit flux through every vertex column.
  for (std::int64_t i = 0; i <= 32; i += 4) EXPECT_NEAR(solver.column_flux(i), 1.0, 1e-12) << "column " << i;
  // K = 4 segments of the parabola: F(y) = 3 y^2 - 2 y^3 gives 5/32, 11/32, 11/32, 5/32.
  const std::vector<double> q = solver.outlet_segment_fluxes(4);
  const double expected[4] = {5.0 / 32.0, 11.0 / 32.0, 11.0 / 32.0, 5.0 / 32.0};
  for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(q[k], expected[k], 1e-12);
  // Segments that cut coarse edges in the middle (K = 3 on 16 edges) integrate exactly as well.
  const std::vector<double> thirds = solver.outlet_segment_fluxes(3);
  EXPECT_NEAR(thirds[0], 3.0 / 9.0 - 2.0 / 27.0, 1e-12);
  EXPECT_NEAR(thirds[0] + thirds[1] + thirds[2], 1.0, 1e-12);
}

TEST(StokesChannel, DeformedChannelConservesTheFlux) {
  // Taylor-Hood's divergence constraint holds against the constant pressure test function, so
  // the outflow equals the inflow to round-off on any mesh.
  StokesChannel solver(StokesChannel::Options{});
  const WallFfd ffd(3.0, 5);
  solver.solve(ffd.deform(solver.reference_vertices(), {0.3, -0.5, 0.6, 0.2, 0.7}));
  const std::vector<double> q = solver.outlet_segment_fluxes(8);
  double total = 0.0;
  for (const double v : q) total += v;
  EXPECT_NEAR(total, 1.0, 1e-10);
  EXPECT_NEAR(solver.column_flux(32), 1.0, 1e-10);
  EXPECT_NEAR(solver.column_flux(16), 1.0, 1e-3);  // inner columns: conserved up to discretization error
}

// The L D L^T solve (nested-dissection order, no pivoting) against values the previous solver,
// SparseLU with partial pivoting, gave on two deformed meshes (one also jittered off the FFD map,
// with the pressure-driven inlet): the same discrete solution to round-off.
TEST(StokesChannel, MatchesTheSparseLuReference) {
  const auto expect_near = [](double value, double reference) { EXPECT_NEAR(value, reference, 1e-10 * (1.0 + std::abs(reference))); };
  const WallFfd ffd(3.0, 5);
  StokesChannel inflow(StokesChannel::Options{});
  inflow.solve(ffd.deform(inflow.reference_vertices(), {0.3, -0.5, 0.6, 0.2, 0.7}));
  expect_near(inflow.velocity(10, 7).x, 1.0027330653802795);
  expect_near(inflow.velocity(10, 7).y, 0.095485883891480258);
  expect_near(inflow.velocity(50, 30).x, 0.23043328606059613);
  expect_near(inflow.velocity(64, 5).y, 0.21688830632064621);
  expect_near(inflow.pressure(0, 8), 26.64925645187877);
  expect_near(inflow.pressure(16, 3), 7.56982432344837);
  const std::vector<double> q = inflow.outlet_segment_fluxes(8);
  const double q_reference[8] = {0.053953740934230131, 0.12120364934381686, 0.15275762646479543, 0.16726303468593429,
                                 0.16749876319438614,  0.15350052768661313, 0.12284430766655095, 0.060978350023679261};
  for (std::size_t k = 0; k < 8; ++k) expect_near(q[k], q_reference[k]);

  StokesChannel::Options o;
  o.nx = 12;
  o.ny = 6;
  o.inlet = InletCondition::pressure_drop;
  StokesChannel driven(o);
  std::vector<Point2> v = ffd.deform(driven.reference_vertices(), {-0.4, 0.5, 0.1, -0.6, 0.3});
  for (std::int64_t j = 1; j < o.ny; ++j) {
    for (std::int64_t i = 1; i < o.nx; ++i) {
      Point2& p = v[static_cast<std::size_t>(j * (o.nx + 1) + i)];
      p.x += 0.06 * std::sin(3.0 * static_cast<double>(i) + 5.0 * static_cast<double>(j));
      p.y += 0.04 * std::cos(7.0 * static_cast<double>(i) - 2.0 * static_cast<double>(j));
    }
  }
  driven.solve(v);
  expect_near(driven.velocity(5, 5).x, 0.029755473139018263);
  expect_near(driven.velocity(5, 5).y, -0.0016778025351889909);
  expect_near(driven.velocity(12, 6).y, 9.6759175827350766e-05);
  expect_near(driven.velocity(24, 9).x, 0.023645619379696049);
  expect_near(driven.pressure(3, 3), 0.77665674479739144);
  expect_near(driven.pressure(9, 1), 0.20275143751474423);
  expect_near(driven.column_flux(12), 0.021434045101734189);
}

TEST(StokesChannel, RejectsBadMeshes) {
  StokesChannel solver(StokesChannel::Options{});
  std::vector<Point2> v = solver.reference_vertices();
  EXPECT_THROW(solver.solve(std::vector<Point2>(v.begin(), v.end() - 1)), std::invalid_argument);
  std::swap(v[40], v[41]);  // two neighbours swapped: their triangles turn over
  EXPECT_THROW(solver.solve(v), std::domain_error);
  EXPECT_THROW(solver.outlet_profile(), std::logic_error);
  // One pressure-driven cell: four free velocities against four pressures, a singular system
  // (the factorization has no pivoting to fail, so this checks its pivot test).
  StokesChannel tiny(StokesChannel::Options{1, 1, 3.0, InletCondition::pressure_drop, 1.0, 1.0});
  EXPECT_THROW(tiny.solve(tiny.reference_vertices()), std::runtime_error);
  EXPECT_THROW(StokesChannel(StokesChannel::Options{0, 16, 3.0, InletCondition::parabolic_inflow, 1.0, 1.0}), std::invalid_argument);
}

TEST(WallFfd, IdentityAtTheGrevilleAbscissae) {
  const WallFfd ffd(3.0, 5);
  EXPECT_EQ(ffd.columns(), 7);
  EXPECT_EQ(ffd.degree(), 3);
  StokesChannel solver(StokesChannel::Options{});
  const std::vector<Point2> reference = solver.reference_vertices();
  const std::vector<Point2> mapped = ffd.deform(reference, std::vector<double>(5, 0.0));
  double error = 0.0;
  for (std::size_t k = 0; k < reference.size(); ++k) error = std::max({error, std::abs(mapped[k].x - reference[k].x), std::abs(mapped[k].y - reference[k].y)});
  EXPECT_LT(error, 1e-12);
  // Partition of unity and linear precision at arbitrary s, for every lattice width.
  for (const std::int64_t controls : {1, 2, 4, 6}) {
    const WallFfd f(1.0, controls);
    const std::vector<Point2> lattice = f.control_points(std::vector<double>(static_cast<std::size_t>(controls), 0.0));
    for (const double s : {0.0, 0.13, 0.5, 0.77, 1.0}) {
      const std::vector<double> b = f.basis(s);
      double sum = 0.0, x = 0.0;
      for (std::size_t i = 0; i < b.size(); ++i) {
        EXPECT_GE(b[i], 0.0);
        sum += b[i];
        x += b[i] * lattice[i].x;
      }
      EXPECT_NEAR(sum, 1.0, 1e-14);
      EXPECT_NEAR(x, s, 1e-14);
    }
  }
}

TEST(WallFfd, DisplacementMovesTheWallsAndKeepsTheEndsFixed) {
  const WallFfd ffd(3.0, 5);
  StokesChannel solver(StokesChannel::Options{});
  const std::vector<Point2> reference = solver.reference_vertices();
  const std::vector<double> d = {0.0, 0.0, 0.4, 0.0, 0.0};
  const std::vector<Point2> mapped = ffd.deform(reference, d);
  const std::int64_t columns = 33, rows = 17;
  double largest = 0.0;
  for (std::int64_t i = 0; i < columns; ++i) {
    const std::size_t bottom = static_cast<std::size_t>(i), top = static_cast<std::size_t>((rows - 1) * columns + i);
    const double s = static_cast<double>(i) / 32.0;
    const double expected = 0.5 * 0.4 * ffd.basis(s)[3];  // half height times B_3(s) times d
    EXPECT_NEAR(mapped[top].y, 1.0 + expected, 1e-14);
    EXPECT_NEAR(mapped[bottom].y, -expected, 1e-14);  // mirrored
    EXPECT_NEAR(mapped[top].x, reference[top].x, 1e-14);
    largest = std::max(largest, expected);
  }
  EXPECT_GT(largest, 0.1);  // the wall moved: B_3 peaks near 2/3 at s = 1/2
  for (std::int64_t j = 0; j < rows; ++j) {  // inlet and outlet columns exactly in place
    for (const std::int64_t i : {std::int64_t{0}, columns - 1}) {
      const std::size_t k = static_cast<std::size_t>(j * columns + i);
      EXPECT_EQ(mapped[k].x, reference[k].x);
      EXPECT_NEAR(mapped[k].y, reference[k].y, 1e-15);
    }
  }
  EXPECT_THROW(ffd.deform(reference, {0.1}), std::invalid_argument);
}

TEST(FluxUniformity, KnownValues) {
  EXPECT_DOUBLE_EQ(flux_uniformity({1.0, 1.0, 1.0}), 1.0);
  EXPECT_DOUBLE_EQ(flux_uniformity({5.0 / 32.0, 11.0 / 32.0, 11.0 / 32.0, 5.0 / 32.0}), 0.625);  // Poiseuille, K = 4
  EXPECT_DOUBLE_EQ(flux_uniformity({1.0, 0.0, 0.0, 0.0}), 0.0);  // 1 - 1.5, clipped
  EXPECT_DOUBLE_EQ(flux_uniformity({-1.0, 1.0}), 0.0);  // no net outflow
}

TEST(ChannelFlow, ReferenceShapeGivesThePoiseuilleUniformity) {
  ChannelFlow env(ChannelFlow::Options{});
  const auto start = std::chrono::steady_clock::now();
  const double u = env.uniformity(std::vector<double>(5, 0.0));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "reference uniformity " << u << ", one 32 x 16 solve " << ms << " ms\n";
  EXPECT_NEAR(u, 0.625, 1e-10);
  EXPECT_EQ(env.solver_calls(), 1);
  EXPECT_EQ(env.mesh_vertices().size(), 33u * 17u);
  EXPECT_EQ(env.outlet_profile().u.size(), 33u);
  EXPECT_THROW(env.uniformity({0.0, 0.0, 0.0, 0.0, 0.71}), std::invalid_argument);  // outside the bound
  EXPECT_THROW(env.uniformity({0.0}), std::invalid_argument);
  ChannelFlow::Options bad;
  bad.max_displacement = 1.0;
  EXPECT_THROW(ChannelFlow{bad}, std::invalid_argument);
}

TEST(ChannelFlow, DirectModeIsOneStep) {
  ChannelFlow env(small_options());
  EXPECT_EQ(env.observation_size(), 13);
  EXPECT_EQ(env.action_space().dimension, 5);
  EXPECT_FALSE(env.action_space().discrete());
  EXPECT_THROW(env.step(std::vector<double>(5, 0.0)), std::logic_error);  // no reset yet
  const std::vector<double> first = env.reset(1);
  ASSERT_EQ(first.size(), 13u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(first[i], 0.0);
  double mean = 0.0;
  for (std::size_t k = 5; k < 13; ++k) mean += first[k] / 8.0;
  EXPECT_NEAR(mean, 1.0, 1e-10);    // normalized fluxes average 1
  EXPECT_LT(first[5], first[8]);   // Poiseuille: the wall segment carries less than the centre
  EXPECT_NEAR(env.current_uniformity(), 0.625, 1e-10);

  const std::vector<double> action = {0.2, -0.4, 2.0, 0.5, -3.0};  // out-of-range values are clipped
  const Transition t = env.step(action);
  EXPECT_TRUE(t.terminated);
  EXPECT_FALSE(t.truncated);
  const std::vector<double> shape = {0.2 * 0.7, -0.4 * 0.7, 0.7, 0.5 * 0.7, -0.7};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(env.displacements()[i], shape[i], 1e-15);
    EXPECT_NEAR(t.observation[i], shape[i] / 0.7, 1e-15);
  }
  EXPECT_THROW(env.step(action), std::logic_error);  // the episode ended
  EXPECT_EQ(env.solver_calls(), 2);
  EXPECT_DOUBLE_EQ(t.reward, env.uniformity(shape));
  EXPECT_EQ(env.solver_calls(), 3);
  env.reset(2);  // the reference start is cached: no solve
  EXPECT_EQ(env.solver_calls(), 3);
  EXPECT_THROW(env.step({0.0, 0.0}), std::invalid_argument);
  EXPECT_THROW(env.step({0.0, 0.0, std::nan(""), 0.0, 0.0}), std::invalid_argument);
}

TEST(ChannelFlow, IncrementalModeTelescopesAndEndsAtTheHorizon) {
  ChannelFlow::Options o = small_options();
  o.mode = ActionMode::incremental;
  o.episode_length = 4;
  ChannelFlow env(o);
  ASSERT_EQ(env.observation_size(), 5 + o.segments + 1);
  EXPECT_EQ(env.reset(3).back(), 1.0);  // every step still to come
  const double start = env.current_uniformity();
  double total = 0.0;
  for (std::int64_t k = 0; k < 4; ++k) {
    const Transition t = env.step({0.0, 0.0, 1.0, 1.0, 0.5});
    total += t.reward;
    EXPECT_EQ(t.terminated, k == 3);
    EXPECT_FALSE(t.truncated);
    EXPECT_DOUBLE_EQ(t.observation.back(), (3.0 - static_cast<double>(k)) / 4.0);
  }
  EXPECT_EQ(env.steps(), 4);
  // Three full increments of 0.1, the fourth also; 0.5 per step for the last control point.
  EXPECT_NEAR(env.displacements()[2], 0.4, 1e-15);
  EXPECT_NEAR(env.displacements()[4], 0.2, 1e-15);
  EXPECT_NEAR(total, env.current_uniformity() - start, 1e-14);
  EXPECT_GT(env.current_uniformity(), start);  // a bulge before the outlet flattens the profile
  EXPECT_THROW(env.step(std::vector<double>(5, 0.0)), std::logic_error);
  // Increments stop at the bound.
  o.episode_length = 10;
  ChannelFlow longer(o);
  longer.reset(3);
  for (int k = 0; k < 10; ++k) longer.step({-1.0, 0.0, 0.0, 0.0, 1.0});
  EXPECT_DOUBLE_EQ(longer.displacements()[0], -0.7);
  EXPECT_DOUBLE_EQ(longer.displacements()[4], 0.7);
}

TEST(ChannelFlow, SeededResetsAndClonesOnTwoThreads) {
  ChannelFlow::Options o = small_options();
  o.reset_noise = 0.5;
  o.mode = ActionMode::incremental;
  ChannelFlow env(o);
  const std::vector<double> a = env.reset(11);
  const std::vector<double> b = env.reset(11);
  const std::vector<double> c = env.reset(12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_LE(std::abs(a[i]), 0.5);

  const auto run = [](Environment& e, std::vector<double>& rewards) {
    e.reset(11);
    for (int k = 0; k < 3; ++k) rewards.push_back(e.step({0.3, -0.2, 0.5, 1.0, -0.1 * k}).reward);
    rewards.push_back(e.reset_continuing()[0]);  // the generator's next draw
  };
  std::unique_ptr<Environment> copy1 = env.clone(), copy2 = env.clone();
  EXPECT_EQ(copy1->name(), "channel_flow");
  EXPECT_EQ(static_cast<ChannelFlow&>(*copy1).solver_calls(), 0);
  std::vector<double> serial, first, second;
  run(env, serial);
  std::thread t1([&] { run(*copy1, first); });
  std::thread t2([&] { run(*copy2, second); });
  t1.join();
  t2.join();
  EXPECT_EQ(first, serial);
  EXPECT_EQ(second, serial);
}

TEST(ChannelFlow, NelderMeadImprovesOnTheStraightChannel) {
  ChannelFlow env(ChannelFlow::Options{});
  const double bound = env.options().max_displacement;
  // The last control point before the outlet has an interior optimum: with the bulge at the
  // bound, too weak a contraction flattens the profile less, too steep a one overshoots.
  const double weak = env.uniformity({0.0, 0.0, bound, bound, 0.45});
  const double middle = env.uniformity({0.0, 0.0, bound, bound, 0.6});
  const double steep = env.uniformity({0.0, 0.0, bound, bound, bound});
  EXPECT_GT(middle, weak + 1e-3);
  EXPECT_GT(middle, steep + 1e-3);

  NelderMeadOptions options;
  options.max_evaluations = 90;
  options.initial_step = 0.3;
  options.value_tolerance = 1e-6;
  options.size_tolerance = 1e-3;
  options.lower.assign(5, -bound);
  options.upper.assign(5, bound);
  const std::int64_t before = env.solver_calls();
  const NelderMeadResult r = nelder_mead([&](const std::vector<double>& d) { return -env.uniformity(d); }, std::vector<double>(5, 0.0), options);
  const double best = -r.value;
  std::cout << "Nelder-Mead: uniformity " << best << " (reference 0.625) after " << r.evaluations << " solver calls; shape";
  for (const double d : r.point) std::cout << " " << d;
  std::cout << "\n";
  EXPECT_EQ(env.solver_calls() - before, r.evaluations);
  EXPECT_GT(best, 0.72);
  EXPECT_GT(r.point[4], 0.5);  // strictly inside the bound
  EXPECT_LT(r.point[4], 0.67);
  EXPECT_NEAR(env.uniformity(r.point), best, 1e-12);
}

}  // namespace
}  // namespace descent::rl
