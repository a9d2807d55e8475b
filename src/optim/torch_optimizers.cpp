#include "descent/optim/torch_optimizers.hpp"

#include <fmt/format.h>

#include <fmt/ranges.h>

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
  std::vector<torch::Tensor> params;
  std::vector<std::string> names;
  std::vector<std::vector<torch::Tensor>> slots;  // parameter x slot, each shaped like the parameter
  std::vector<std::vector<T*>> slot_pointers;
  double learning_rate = 0.0;

  std::string optimizer;
  ParamValues base;     // the resolved values the group was built with
  ParamValues current;  // after hyperparameter schedules

  TypedGroup(const std::string& optimizer_, const ParamValues& resolved, ParamGroup group)
      : optimizer(optimizer_), base(resolved), current(resolved) {
    rule = make_rule<T>(optimizer, resolved);
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

  // A new rule with the changed value; per-element state lives outside the rule, scalar state moves over.
  void scale_hyperparameter(const std::string& name, double factor) {
    const auto it = base.find(name);
    if (it == base.end() || current.at(name) == it->second * factor) return;
    current[name] = it->second * factor;
    auto rebuilt = make_rule<T>(optimizer, current);
    rebuilt->load_scalar_state(rule->scalar_state());
    rule = std::move(rebuilt);
  }

  // Scales the group's gradients in place to at most clip_norm (global l2 norm), as
  // torch.nn.utils.clip_grad_norm_ does: factor min(1, clip / (norm + 1e-6)).
  void clip_gradients() {
    const double clip = current.at("clip_norm");
    if (clip <= 0.0) return;
    double squares = 0.0;
    for (const auto& p : params) {
      if (p.grad().defined()) squares += std::pow(p.grad().norm(2).template item<double>(), 2);
    }
    const double scale = clip / (std::sqrt(squares) + 1e-6);
    if (scale >= 1.0) return;
    for (auto& p : params) {
      if (p.grad().defined()) p.mutable_grad().mul_(scale);
    }
  }

  void step(std::int64_t step, double factor, std::optional<double> loss, const FusedOptions& options) {
    clip_gradients();
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
    : name_(name), options_(options) {
  const ParamValues base = resolve_hyperparameters(name, defaults);
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
    const ParamValues resolved = resolve_hyperparameters(name, values);
    if (dtype == torch::kFloat32) {
      groups_.push_back(std::unique_ptr<Group>(new Group{TypedGroup<float>(name, resolved, std::move(group))}));
    } else {
      groups_.push_back(std::unique_ptr<Group>(new Group{TypedGroup<double>(name, resolved, std::move(group))}));
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

double Optimizer::hyperparameter(std::size_t group, const std::string& name) const {
  return std::visit([&](const auto& g) { return g.current.at(name); }, groups_.at(group)->typed);
}

double Optimizer::learning_rate(std::size_t group) const {
  return std::visit([&](const auto& g) { return g.learning_rate * factor_; }, groups_.at(group)->typed);
}

torch::Tensor Optimizer::flat_state(int slot) const {
  std::vector<torch::Tensor> parts;
  for (const auto& group : groups_) {
    std::visit(
        [&](const auto& g) {
          for (std::size_t i = 0; i < g.params.size(); ++i) {
            if (slot < 0 || static_cast<std::size_t>(slot) >= g.slots[i].size()) {
              throw Error(ExitCode::runtime_failure, fmt::format("optimizer '{}' has no state slot {}", name_, slot));
            }
            parts.push_back(g.slots[i][static_cast<std::size_t>(slot)].reshape(-1).to(torch::kFloat64));
          }
        },
        group->typed);
  }
  return torch::cat(parts);
}

void Optimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("optimizer", torch::tensor(static_cast<std::int64_t>(std::hash<std::string>{}(name_))));
  archive.write("step", torch::tensor(step_));
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    std::visit(
        [&](const auto& group) {
          const auto scalars = group.rule->scalar_state();
          archive.write(fmt::format("group{}/scalars", g), torch::tensor(std::vector<double>(scalars.begin(), scalars.end()), torch::kFloat64));
          for (std::size_t i = 0; i < group.params.size(); ++i) {
            for (std::size_t k = 0; k < group.slots[i].size(); ++k) archive.write(fmt::format("{}/{}", group.names[i], k), group.slots[i][k]);
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
  if (read("optimizer").item<std::int64_t>() != static_cast<std::int64_t>(std::hash<std::string>{}(name_))) {
    throw Error(ExitCode::runtime_failure, fmt::format("optimizer state was saved by another optimizer than '{}'", name_));
  }
  step_ = read("step").item<std::int64_t>();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    std::visit(
        [&](auto& group) {
          const torch::Tensor scalars = read(fmt::format("group{}/scalars", g)).contiguous();
          group.rule->load_scalar_state(std::vector<double>(scalars.data_ptr<double>(), scalars.data_ptr<double>() + scalars.numel()));
          for (std::size_t i = 0; i < group.params.size(); ++i) {
            for (std::size_t k = 0; k < group.slots[i].size(); ++k) {
              const std::string key = fmt::format("{}/{}", group.names[i], k);
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

std::unique_ptr<TrainingOptimizer> make_optimizer(const std::string& name, const ParamValues& hyper,
                                                  const torch::OrderedDict<std::string, torch::Tensor>& named_parameters,
                                                  FusedOptions options) {
  return std::make_unique<Optimizer>(name, hyper, named_parameters, options);
}

}  // namespace descent::optim
