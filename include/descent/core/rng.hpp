// A seeded random generator whose streams are the same on every platform and standard library:
// std::mt19937_64's output is specified, but std's distributions are not, so the draws that
// decide data order and synthetic data are written here.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace descent {

class Rng {
public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  // Derives an independent stream for a named purpose (epoch shuffles, splits, ...).
  static Rng derived(std::uint64_t seed, std::uint64_t stream) { return Rng(mix(seed ^ mix(stream + 0x9E3779B97F4A7C15ULL))); }

  std::uint64_t next() { return engine_(); }

  // Uniform integer in [0, bound) without modulo bias (rejection of the short tail).
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t draw = next();
    while (draw >= limit) draw = next();
    return draw % bound;
  }

  // Uniform double in [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Standard normal by Box-Muller; the spare value is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * M_PI * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

private:
  static std::uint64_t mix(std::uint64_t x) {  // SplitMix64 finalizer
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  }

  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace descent
