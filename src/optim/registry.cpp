// The catalog of optimizer descriptions: each optimizer's file registers its own (see
// optim/description.hpp); this file only keeps them, finds them and resolves values against them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "descent/core/error.hpp"
#include "descent/core/named.hpp"
#include "descent/core/text.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/hyperparameters.hpp"

namespace descent::optim {
namespace {

// Registrations run during static initialization, in an order no file controls: kept sorted.
std::vector<OptimizerDescription>& registered() {
  static std::vector<OptimizerDescription> descriptions;
  return descriptions;
}

}  // namespace

Registration::Registration(OptimizerDescription description, RuleBuilder<float> build_float, RuleBuilder<double> build_double) {
  auto& all = registered();
  description.build_float = build_float;
  description.build_double = build_double;
  if (find_by_name(all, description.name)) throw std::logic_error("optimizer '" + description.name + "' is registered twice");
  if (description.params.empty() || description.params.front().name != "lr" || !description.build_float || !description.build_double) {
    throw std::logic_error("optimizer '" + description.name + "': a description needs lr first and both builders");
  }
  description.params.push_back(params::clip_norm());
  const auto at = std::lower_bound(all.begin(), all.end(), description.name,
                                   [](const OptimizerDescription& d, const std::string& name) { return d.name < name; });
  all.insert(at, std::move(description));
}

const std::vector<OptimizerDescription>& catalog() { return registered(); }

const OptimizerDescription* find_optimizer(std::string_view name) { return find_by_name(catalog(), name); }

std::vector<std::string> optimizer_names() { return names_of(catalog()); }

const OptimizerDescription& describe(std::string_view name) {
  const OptimizerDescription* description = find_optimizer(name);
  if (!description) {
    throw ConfigError(fmt::format("unknown optimizer '{}'{}", name, text::did_you_mean(std::string(name), optimizer_names())));
  }
  return *description;
}

ParamValues OptimizerDescription::resolve(const ParamValues& given) const {
  std::vector<std::string> known;
  for (const auto& spec : params) known.push_back(spec.name);
  for (const auto& [key, value] : given) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw ConfigError(fmt::format("optimizer '{}' has no hyperparameter '{}'{}", name, key, text::did_you_mean(key, known)));
    }
  }
  ParamValues resolved;
  for (const auto& spec : params) {
    const auto it = given.find(spec.name);
    const double value = it == given.end() ? spec.default_value : it->second;
    if (!in_range(spec, value)) {
      throw ConfigError(fmt::format("optimizer '{}': {} = {} is out of range: must be {}", name, spec.name, value, describe_range(spec)));
    }
    resolved[spec.name] = value;
  }
  if (check) {
    if (const auto problem = check(resolved)) throw ConfigError(fmt::format("optimizer '{}': {}: {}", name, problem->key, problem->message));
  }
  return resolved;
}

ParamValues resolve_hyperparameters(const std::string& name, const ParamValues& given) { return describe(name).resolve(given); }

}  // namespace descent::optim
