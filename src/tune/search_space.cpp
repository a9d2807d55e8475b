#include "descent/tune/search_space.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "descent/core/rng.hpp"

namespace descent::tune {
namespace {

double to_scale(const Parameter& p, double v) { return p.log ? std::log(v) : v; }
double from_scale(const Parameter& p, double s) { return p.log ? std::exp(s) : s; }

// An integer v owns the cell [v - 1/2, v + 1/2] (on the log scale for log integers; the lowest
// cell starts at low / 2 there, since low - 1/2 may be 0).
std::pair<double, double> integer_range(const Parameter& p) {
  return {to_scale(p, p.log ? std::max(p.low - 0.5, p.low / 2) : p.low - 0.5), to_scale(p, p.high + 0.5)};
}

constexpr int kPrimes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
                           73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173};

double radical_inverse(std::uint64_t index, int base) {
  double result = 0.0, fraction = 1.0 / base;
  while (index > 0) {
    result += static_cast<double>(index % static_cast<std::uint64_t>(base)) * fraction;
    index /= static_cast<std::uint64_t>(base);
    fraction /= base;
  }
  return result;
}

}  // namespace

nlohmann::json Parameter::distribution() const {
  switch (kind) {
    case ParamKind::real:
      return {{"name", "FloatDistribution"}, {"attributes", {{"low", low}, {"high", high}, {"log", log}, {"step", nullptr}}}};
    case ParamKind::integer:
      return {{"name", "IntDistribution"},
              {"attributes", {{"low", static_cast<std::int64_t>(low)}, {"high", static_cast<std::int64_t>(high)}, {"log", log}, {"step", 1}}}};
    case ParamKind::categorical: {
      nlohmann::json values = nlohmann::json::array();
      // Optuna's choices are None, bool, int, float or str: a TOML list or table stays its text.
      for (const auto& choice : choices) {
        const auto parsed = nlohmann::json::parse(choice, nullptr, false);
        values.push_back(parsed.is_discarded() || parsed.is_structured() ? nlohmann::json(choice) : parsed);
      }
      return {{"name", "CategoricalDistribution"}, {"attributes", {{"choices", values}}}};
    }
  }
  return {};
}

SearchSpace::SearchSpace(std::vector<Parameter> parameters) : parameters_(std::move(parameters)) {
  for (const auto& p : parameters_) dimension_ += p.encoded_width();
}

std::vector<double> SearchSpace::encode(const Point& point) const {
  std::vector<double> unit;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& p = parameters_[i];
    const double v = point[i];
    switch (p.kind) {
      case ParamKind::real: {
        const double lo = to_scale(p, p.low), hi = to_scale(p, p.high);
        unit.push_back(hi > lo ? (to_scale(p, v) - lo) / (hi - lo) : 0.5);
        break;
      }
      case ParamKind::integer: {
        // Cell [v - 0.5, v + 0.5] of the range [low - 0.5, high + 0.5] (in log space for log).
        const auto [lo, hi] = integer_range(p);
        unit.push_back(std::clamp((to_scale(p, v) - lo) / (hi - lo), 0.0, 1.0));
        break;
      }
      case ParamKind::categorical:
        for (std::size_t c = 0; c < p.choices.size(); ++c) unit.push_back(static_cast<double>(c) == v ? 1.0 : 0.0);
        break;
    }
  }
  return unit;
}

Point SearchSpace::decode(const std::vector<double>& unit) const {
  Point point;
  std::size_t k = 0;
  for (const Parameter& p : parameters_) {
    switch (p.kind) {
      case ParamKind::real: {
        const double lo = to_scale(p, p.low), hi = to_scale(p, p.high);
        point.push_back(std::clamp(from_scale(p, lo + std::clamp(unit[k], 0.0, 1.0) * (hi - lo)), p.low, p.high));
        ++k;
        break;
      }
      case ParamKind::integer: {
        const auto [lo, hi] = integer_range(p);
        point.push_back(std::clamp(std::round(from_scale(p, lo + std::clamp(unit[k], 0.0, 1.0) * (hi - lo))), p.low, p.high));
        ++k;
        break;
      }
      case ParamKind::categorical: {
        const auto begin = unit.begin() + static_cast<std::ptrdiff_t>(k);
        const auto width = static_cast<std::ptrdiff_t>(p.choices.size());
        point.push_back(static_cast<double>(std::max_element(begin, begin + width) - begin));
        k += p.choices.size();
        break;
      }
    }
  }
  return point;
}

std::string SearchSpace::override_text(std::size_t i, double value) const {
  const Parameter& p = parameters_[i];
  if (p.kind == ParamKind::categorical) return p.name + "=" + p.choices[static_cast<std::size_t>(value)];
  if (p.kind == ParamKind::integer) return fmt::format("{}={}", p.name, static_cast<std::int64_t>(value));
  return fmt::format("{}={:.17g}", p.name, value);
}

std::string SearchSpace::display(std::size_t i, double value) const {
  const Parameter& p = parameters_[i];
  if (p.kind == ParamKind::categorical) return p.choices[static_cast<std::size_t>(value)];
  if (p.kind == ParamKind::integer) return fmt::format("{}", static_cast<std::int64_t>(value));
  return fmt::format("{:.4g}", value);
}

Halton::Halton(int dimension, std::uint64_t seed) {
  Rng rng = Rng::derived(seed, 0x4a170);
  for (int d = 0; d < dimension; ++d) shift_.push_back(rng.uniform());
}

std::vector<double> Halton::point(std::uint64_t index) const {
  std::vector<double> u;
  for (std::size_t d = 0; d < shift_.size(); ++d) {
    const int base = kPrimes[d % std::size(kPrimes)];
    const double v = radical_inverse(index + 1, base) + shift_[d];
    u.push_back(v - std::floor(v));
  }
  return u;
}

std::vector<Point> grid(const SearchSpace& space, int levels) {
  std::vector<std::vector<double>> axes;
  for (const Parameter& p : space.parameters()) {
    std::vector<double> axis;
    if (p.kind == ParamKind::categorical) {
      for (std::size_t c = 0; c < p.choices.size(); ++c) axis.push_back(static_cast<double>(c));
    } else {
      for (int l = 0; l < levels; ++l) {
        const double t = levels == 1 ? 0.5 : static_cast<double>(l) / (levels - 1);
        const double lo = to_scale(p, p.low), hi = to_scale(p, p.high);
        double v = from_scale(p, lo + t * (hi - lo));
        if (p.kind == ParamKind::integer) v = std::round(v);
        if (axis.empty() || axis.back() != v) axis.push_back(v);
      }
    }
    axes.push_back(axis);
  }
  std::vector<Point> points = {{}};
  for (const auto& axis : axes) {
    std::vector<Point> next;
    for (const auto& prefix : points) {
      for (const double v : axis) {
        Point p = prefix;
        p.push_back(v);
        next.push_back(p);
      }
    }
    points = std::move(next);
  }
  return points;
}

}  // namespace descent::tune
