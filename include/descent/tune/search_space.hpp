// What a tuning study searches: named parameters (each a dotted study-config path such as
// "optimizers[0].lr"), float (linear or log scale), integer or categorical. Values are kept in
// Optuna's internal representation (a float for numbers, the choice's index for categories), and
// mapped to the unit cube that the Gaussian process sees: log scale where the space says so,
// integers as cells of equal width, categories one-hot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace descent::tune {

enum class ParamKind { real, integer, categorical };

struct Parameter {
  std::string name;
  ParamKind kind = ParamKind::real;
  double low = 0.0, high = 1.0;      // real and integer, inclusive
  bool log = false;                  // real and integer: search log(value)
  std::vector<std::string> choices;  // categorical: each choice as TOML text ("0.9", "\"cosine\"", "true")

  int encoded_width() const { return kind == ParamKind::categorical ? static_cast<int>(choices.size()) : 1; }
  // Optuna's distribution JSON (FloatDistribution, IntDistribution, CategoricalDistribution).
  nlohmann::json distribution() const;
};

// One value per parameter, in the space's order, internal representation.
using Point = std::vector<double>;

class SearchSpace {
public:
  SearchSpace() = default;
  explicit SearchSpace(std::vector<Parameter> parameters);

  const std::vector<Parameter>& parameters() const { return parameters_; }
  std::size_t size() const { return parameters_.size(); }
  int encoded_dimension() const { return dimension_; }

  std::vector<double> encode(const Point& point) const;  // to [0, 1]^D
  Point decode(const std::vector<double>& unit) const;   // nearest point (integers rounded, argmax category)
  // The config override for parameter i at value v: `name=value` (categories by their TOML text).
  std::string override_text(std::size_t i, double value) const;
  std::string display(std::size_t i, double value) const;

private:
  std::vector<Parameter> parameters_;
  int dimension_ = 0;
};

// A scrambled Halton sequence in [0, 1)^D: low discrepancy for initial designs and for the starts
// of acquisition maximization; the random shift (Cranley-Patterson) comes from the seed.
class Halton {
public:
  Halton(int dimension, std::uint64_t seed);
  std::vector<double> point(std::uint64_t index) const;

private:
  std::vector<double> shift_;
};

// Every combination of `levels` values per numeric parameter (all choices of a category), in a
// fixed order: grid search's points.
std::vector<Point> grid(const SearchSpace& space, int levels);

}  // namespace descent::tune
