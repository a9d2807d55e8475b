#include "descent/optim/torch_optimizers.hpp"

#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <variant>

#include "descent/core/error.hpp"

namespace descent::optim {
namespace {

template <class T>
constexpr torch::ScalarType dtype_of() {
  return std::is_same_v<T, float> ? torch::kFloat32 : torch::kFloat64;
}

// One parameter group over one element type: the rule and the per-parameter state tensors.
template <class T>
struct TypedGroup {
  std::unique_ptr<Rule<T>> rule;
  std::vector<std::string> slot_names;
  std::vector<torch::Tensor> params;
  std::vector<std::string> names;
  std::vector<std::vector<torch::Tensor>> slots;  // parameter x slot, each shaped like the parameter
  std::vector<std::vector<T*>> slot_pointers;
  double learning_rate = 0.0;

  ParamValues base;     // the resolved values the group was built with
  ParamValues current;  // after hyperparameter schedules

  TypedGroup(const OptimizerDescription& description, const ParamValues& resolved, ParamGroup group)
      : rule(description.build<T>(resolved)), slot_names(rule->slot_names()), base(resolved), current(resolved) {
    learning_rate = resolved.at("lr");
    params = std::move(group.params);
    names = std::move(group.names);
    for (const auto& p : params) {
      std::vector<torch::Tensor> state;
      std::vector<T*> pointers;
      for (int k = 0; k < rule->slots(); ++k) {
        state.push_back(torch::full_like(p, static_cast<double>(rule->initial_value(k)), torch::MemoryFormat::Contiguous));
        pointers.push_back(state.back().template data_ptr<T>());
      }
      slots.push_back(std::move(state));
      slot_pointers.push_back(std::move(pointers));
    }
  }

  // New absolute values (already validated); the rule is rebound only when one changed.
  void set_hyperparameters(const ParamValues& values) {
    bool changed = false;
    for (const auto& [name, value] : values) {
      double& slot = current.at(name);
      if (slot != value) slot = value, changed = true;
    }
    base = current;
    learning_rate = current.at("lr");
    if (changed) rule->bind(current);
  }

  // The rule takes the changed value in place; its state stays where it is.
  void scale_hyperparameter(const std::string& name, double factor) {
    const auto it = base.find(name);
    if (it == base.end() || current.at(name) == it->second * factor) return;
    current[name] = it->second * factor;
    rule->bind(current);
  }

  void step(std::int64_t step, double factor, std::optional<double> loss, const FusedOptions& options) {
    std::vector<ParamBuffer<T>> buffers;
    std::vector<torch::Tensor> contiguous_grads;  // keeps copies alive for the step
    for (std::size_t i = 0; i < params.size(); ++i) {
      const torch::Tensor& grad = params[i].grad();
      if (!grad.defined()) continue;  // a parameter that took no part in the loss does not move
      contiguous_grads.push_back(grad.contiguous());
      buffers.push_back({params[i].template data_ptr<T>(), contiguous_grads.back().template data_ptr<T>(),
                         static_cast<std::size_t>(params[i].numel()), slot_pointers[i].data()});
    }
    rule->step(buffers, {step, learning_rate * factor, loss}, options);
  }

  // Index of the slot called `name`, or -1.
  int slot_index(const std::string& name) const {
    const auto it = std::find(slot_names.begin(), slot_names.end(), name);
    return it == slot_names.end() ? -1 : static_cast<int>(it - slot_names.begin());
  }
};

std::string default_name(std::size_t group, std::size_t index) { return fmt::format("group{}.{}", group, index); }

void check_parameter(const torch::Tensor& p, const std::string& name, torch::ScalarType dtype) {
  if (!p.defined()) throw ConfigError(fmt::format("parameter '{}' is an undefined tensor", name));
  if (p.scalar_type() != torch::kFloat32 && p.scalar_type() != torch::kFloat64) {
    throw ConfigError(fmt::format("parameter '{}' is {}; descent's optimizers take float32 or float64", name,
                                  c10::toString(p.scalar_type())));
  }
  if (p.scalar_type() != dtype) throw ConfigError(fmt::format("parameter '{}': a group mixes float32 and float64", name));
  if (!p.is_contiguous()) throw ConfigError(fmt::format("parameter '{}' is not contiguous", name));
  if (!p.device().is_cpu()) throw ConfigError(fmt::format("parameter '{}' is not on the CPU", name));
}

}  // namespace

struct Optimizer::Group {
  std::variant<TypedGroup<float>, TypedGroup<double>> typed;
};

Optimizer::Optimizer(const std::string& name, const ParamValues& defaults, std::vector<ParamGroup> groups,
                     FusedOptions options)
    : description_(&describe(name)), options_(options) {
  const ParamValues base = description_->resolve(defaults);
  std::set<std::string> seen;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    ParamGroup& group = groups[g];
    if (group.names.empty()) {
      for (std::size_t i = 0; i < group.params.size(); ++i) group.names.push_back(default_name(g, i));
    }
    if (group.names.size() != group.params.size()) {
      throw ConfigError(fmt::format("parameter group {}: {} names for {} parameters", g, group.names.size(), group.params.size()));
    }
    if (group.params.empty()) continue;
    const torch::ScalarType dtype = group.params.front().scalar_type();
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      check_parameter(group.params[i], group.names[i], dtype);
      if (!seen.insert(group.names[i]).second) throw ConfigError(fmt::format("parameter name '{}' appears twice", group.names[i]));
    }
    ParamValues values = base;
    for (const auto& [key, value] : group.overrides) values[key] = value;
    const ParamValues resolved = description_->resolve(values);
    if (dtype == torch::kFloat32) {
      groups_.push_back(std::unique_ptr<Group>(new Group{TypedGroup<float>(*description_, resolved, std::move(group))}));
    } else {
      groups_.push_back(std::unique_ptr<Group>(new Group{TypedGroup<double>(*description_, resolved, std::move(group))}));
    }
  }
}

Optimizer::Optimizer(const std::string& name, const ParamValues& defaults,
                     const torch::OrderedDict<std::string, torch::Tensor>& named_parameters, FusedOptions options)
    : Optimizer(name, defaults,
                [&] {
                  // One group per element type, so a model mixing float and double still works.
                  ParamGroup floats, doubles;
                  for (const auto& item : named_parameters) {
                    ParamGroup& target = item.value().scalar_type() == torch::kFloat64 ? doubles : floats;
                    target.params.push_back(item.value());
                    target.names.push_back(item.key());
                  }
                  std::vector<ParamGroup> groups;
                  for (ParamGroup* g : {&floats, &doubles}) {
                    if (!g->params.empty()) groups.push_back(std::move(*g));
                  }
                  return groups;
                }(),
                options) {}

Optimizer::~Optimizer() = default;

void Optimizer::zero_grad() {
  for (auto& group : groups_) {
    std::visit(
        [](auto& g) {
          for (auto& p : g.params) {
            if (p.grad().defined()) p.mutable_grad().zero_();
          }
        },
        group->typed);
  }
}

void Optimizer::step(std::optional<double> loss) {
  ++step_;
  for (auto& group : groups_) std::visit([&](auto& g) { g.step(step_, factor_, loss, options_); }, group->typed);
}

void Optimizer::set_learning_rate_factor(double factor) { factor_ = factor; }

void Optimizer::set_hyperparameter_factor(const std::string& name, double factor) {
  for (auto& group : groups_) std::visit([&](auto& g) { g.scale_hyperparameter(name, factor); }, group->typed);
}

void Optimizer::set_hyperparameters(std::size_t group, const ParamValues& values) {
  std::visit(
      [&](auto& g) {
        ParamValues merged = g.current;
        for (const auto& [name, value] : values) {
          if (!merged.count(name)) {
            throw ConfigError(fmt::format("optimizer '{}' has no hyperparameter '{}'", description_->name, name));
          }
          merged[name] = value;
        }
        g.set_hyperparameters(description_->resolve(merged));  // ranges and cross-checks, as at construction
      },
      groups_.at(group)->typed);
}

std::vector<std::pair<std::string, torch::Tensor>> Optimizer::parameter_state(std::size_t group, std::size_t index) const {
  return std::visit(
      [&](const auto& g) {
        std::vector<std::pair<std::string, torch::Tensor>> state;
        const auto& slots = g.slots.at(index);
        for (std::size_t k = 0; k < slots.size(); ++k) state.emplace_back(g.slot_names[k], slots[k]);
        return state;
      },
      groups_.at(group)->typed);
}

std::vector<double> Optimizer::group_scalars(std::size_t group) const {
  return std::visit([](const auto& g) { return g.rule->scalar_state(); }, groups_.at(group)->typed);
}

void Optimizer::load_group_scalars(std::size_t group, const std::vector<double>& values) {
  std::visit(
      [&](auto& g) {
        const std::size_t expected = g.rule->scalar_state().size();
        if (values.size() != expected) {
          throw Error(ExitCode::runtime_failure, fmt::format("optimizer state: group {} has {} scalars; '{}' keeps {}", group,
                                                             values.size(), description_->name, expected));
        }
        g.rule->load_scalar_state(values);
      },
      groups_.at(group)->typed);
}

void Optimizer::set_steps_taken(std::int64_t steps) {
  if (steps < 0) throw Error(ExitCode::runtime_failure, fmt::format("optimizer state: step {} is negative", steps));
  step_ = steps;
}

const ParamValues& Optimizer::hyperparameters(std::size_t group) const {
  return std::visit([&](const auto& g) -> const ParamValues& { return g.current; }, groups_.at(group)->typed);
}

double Optimizer::hyperparameter(std::size_t group, const std::string& name) const { return hyperparameters(group).at(name); }

double Optimizer::learning_rate(std::size_t group) const {
  return std::visit([&](const auto& g) { return g.learning_rate * factor_; }, groups_.at(group)->typed);
}

torch::Tensor Optimizer::flat_state(const std::string& slot) const {
  std::vector<torch::Tensor> parts;
  for (const auto& group : groups_) {
    std::visit(
        [&](const auto& g) {
          const int k = g.slot_index(slot);
          if (k < 0) {
            throw Error(ExitCode::runtime_failure, fmt::format("optimizer '{}' has no state slot '{}' (its slots: {})", description_->name, slot,
                                                               g.slot_names.empty() ? "none" : fmt::format("{}", fmt::join(g.slot_names, ", "))));
          }
          for (const auto& state : g.slots) parts.push_back(state[static_cast<std::size_t>(k)].reshape(-1).to(torch::kFloat64));
        },
        group->typed);
  }
  return parts.empty() ? torch::zeros({0}, torch::kFloat64) : torch::cat(parts);
}

std::optional<torch::Tensor> Optimizer::preconditioner() const {
  if (!description_->preconditioner) return std::nullopt;
  std::vector<torch::Tensor> parts;
  for (const auto& group : groups_) {
    const bool ok = std::visit(
        [&](const auto& g) {
          const auto form = description_->preconditioner(g.current, step_);
          if (!form) return false;
          const int k = g.slot_index(form->slot);
          if (k < 0) {
            throw std::logic_error(
                fmt::format("optimizer '{}' declares a preconditioner on a missing slot '{}'", description_->name, form->slot));
          }
          for (const auto& state : g.slots) {
            const torch::Tensor v = state[static_cast<std::size_t>(k)].reshape(-1).to(torch::kFloat64);
            parts.push_back(form->outer * ((v / form->inner).sqrt() + form->eps));
          }
          return true;
        },
        group->typed);
    if (!ok) return std::nullopt;
  }
  return parts.empty() ? std::nullopt : std::optional<torch::Tensor>(torch::cat(parts));
}

void Optimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("optimizer_name", c10::IValue(description_->name));
  archive.write("step", torch::tensor(step_));
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    std::visit(
        [&](const auto& group) {
          const auto scalars = group.rule->scalar_state();
          archive.write(fmt::format("group{}/scalars", g), torch::tensor(std::vector<double>(scalars.begin(), scalars.end()), torch::kFloat64));
          for (std::size_t i = 0; i < group.params.size(); ++i) {
            for (std::size_t k = 0; k < group.slots[i].size(); ++k) {
              archive.write(fmt::format("{}/{}", group.names[i], group.slot_names[k]), group.slots[i][k]);
            }
          }
        },
        groups_[g]->typed);
  }
}

void Optimizer::load(torch::serialize::InputArchive& archive) {
  auto read = [&](const std::string& key) {
    torch::Tensor value;
    if (!archive.try_read(key, value)) throw Error(ExitCode::runtime_failure, fmt::format("optimizer state: no entry '{}'", key));
    return value;
  };
  // Files written before slots had names identify the optimizer by std::hash of its name and key
  // state by slot index; they still load (on the machine that wrote them, where the hash agrees).
  c10::IValue saved_name;
  const bool named = archive.try_read("optimizer_name", saved_name) && saved_name.isString();
  if (named && saved_name.toStringRef() != description_->name) {
    throw Error(ExitCode::runtime_failure,
                fmt::format("optimizer state was saved by optimizer '{}', not '{}'", saved_name.toStringRef(), description_->name));
  }
  if (!named && read("optimizer").item<std::int64_t>() != static_cast<std::int64_t>(std::hash<std::string>{}(description_->name))) {
    throw Error(ExitCode::runtime_failure, fmt::format("optimizer state was saved by another optimizer than '{}'", description_->name));
  }
  set_steps_taken(read("step").item<std::int64_t>());
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const torch::Tensor scalars = read(fmt::format("group{}/scalars", g)).to(torch::kFloat64).contiguous().reshape(-1);
    load_group_scalars(g, std::vector<double>(scalars.data_ptr<double>(), scalars.data_ptr<double>() + scalars.numel()));
    std::visit(
        [&](auto& group) {
          for (std::size_t i = 0; i < group.params.size(); ++i) {
            for (std::size_t k = 0; k < group.slots[i].size(); ++k) {
              const std::string key = named ? fmt::format("{}/{}", group.names[i], group.slot_names[k]) : fmt::format("{}/{}", group.names[i], k);
              const torch::Tensor value = read(key);
              if (value.sizes() != group.slots[i][k].sizes()) {
                throw Error(ExitCode::runtime_failure, fmt::format("optimizer state '{}' has shape {}, the parameter {}", key,
                                                                   fmt::join(value.sizes(), "x"), fmt::join(group.slots[i][k].sizes(), "x")));
              }
              group.slots[i][k].copy_(value);  // in place: the slot pointers stay valid
            }
          }
        },
        groups_[g]->typed);
  }
}

}  // namespace descent::optim
