#include "descent/optim/torch_drop_in.hpp"

#include <fmt/format.h>

#include "descent/core/error.hpp"

namespace descent::optim::drop_in {
namespace {

namespace topt = torch::optim;

// A group's options as descent's hyperparameters: RegistryOptions as they are, torch's option types
// key by key (torch's betas pair is descent's beta1 and beta2).
ParamValues values_of(const topt::OptimizerOptions& options) {
  if (const auto* o = dynamic_cast<const RegistryOptions*>(&options)) return o->values;
  if (const auto* o = dynamic_cast<const topt::AdamOptions*>(&options)) {
    return {{"lr", o->lr()}, {"beta1", std::get<0>(o->betas())}, {"beta2", std::get<1>(o->betas())}, {"eps", o->eps()},
            {"weight_decay", o->weight_decay()}, {"amsgrad", o->amsgrad() ? 1.0 : 0.0}};
  }
  if (const auto* o = dynamic_cast<const topt::AdamWOptions*>(&options)) {
    return {{"lr", o->lr()}, {"beta1", std::get<0>(o->betas())}, {"beta2", std::get<1>(o->betas())}, {"eps", o->eps()},
            {"weight_decay", o->weight_decay()}, {"amsgrad", o->amsgrad() ? 1.0 : 0.0}};
  }
  if (const auto* o = dynamic_cast<const topt::SGDOptions*>(&options)) {
    return {{"lr", o->lr()}, {"momentum", o->momentum()}, {"dampening", o->dampening()},
            {"weight_decay", o->weight_decay()}, {"nesterov", o->nesterov() ? 1.0 : 0.0}};
  }
  if (const auto* o = dynamic_cast<const topt::RMSpropOptions*>(&options)) {
    return {{"lr", o->lr()}, {"alpha", o->alpha()}, {"eps", o->eps()}, {"weight_decay", o->weight_decay()},
            {"momentum", o->momentum()}, {"centered", o->centered() ? 1.0 : 0.0}};
  }
  if (const auto* o = dynamic_cast<const topt::AdagradOptions*>(&options)) {
    return {{"lr", o->lr()}, {"lr_decay", o->lr_decay()}, {"weight_decay", o->weight_decay()},
            {"initial_accumulator_value", o->initial_accumulator_value()}, {"eps", o->eps()}};
  }
  throw ConfigError("a parameter group's options are neither descent's RegistryOptions nor one of torch's "
                    "AdamOptions, AdamWOptions, SGDOptions, RMSpropOptions, AdagradOptions");
}

std::vector<topt::OptimizerParamGroup> one_group(std::vector<torch::Tensor> parameters) {
  return {topt::OptimizerParamGroup(std::move(parameters))};
}

}  // namespace

double RegistryOptions::get_lr() const {
  const auto it = values.find("lr");
  return it == values.end() ? 0.0 : it->second;  // 0 until set: the registry's default applies
}

void RegistryOptions::serialize(torch::serialize::OutputArchive& archive) const {
  for (const auto& [name, value] : values) archive.write(name, c10::IValue(value));
}

void RegistryOptions::serialize(torch::serialize::InputArchive& archive) {
  for (const std::string& name : archive.keys()) {
    c10::IValue value;
    archive.read(name, value);
    values[name] = value.toDouble();
  }
}

Fused::Fused(std::string name, std::vector<topt::OptimizerParamGroup> groups,
             std::unique_ptr<topt::OptimizerOptions> defaults, int threads)
    : torch::optim::Optimizer(std::move(groups), std::move(defaults)), name_(std::move(name)), threads_(threads) {
  describe(name_);  // an unknown name fails here, naming the nearest known one
  build_core_if_groups_changed();  // bad values and parameters fail here too, not at the first step
}

Fused::Fused(std::string name, std::vector<topt::OptimizerParamGroup> groups, const RegistryOptions& defaults, int threads)
    : Fused(std::move(name), std::move(groups), std::make_unique<RegistryOptions>(defaults), threads) {}

Fused::Fused(std::string name, std::vector<torch::Tensor> parameters, const RegistryOptions& defaults, int threads)
    : Fused(std::move(name), one_group(std::move(parameters)), defaults, threads) {}

// Built when first needed and again after add_param_group; the state of the parameters that were
// there before carries over (by position: group g, parameter i).
void Fused::build_core_if_groups_changed() {
  std::vector<std::size_t> layout;
  for (const auto& group : param_groups_) layout.push_back(group.params().size());
  if (core_ && layout == layout_) return;
  std::vector<ParamGroup> groups;
  for (std::size_t g = 0; g < param_groups_.size(); ++g) {
    if (param_groups_[g].params().empty()) throw ConfigError(fmt::format("parameter group {} is empty", g));
    ParamGroup group{param_groups_[g].params(), {}, values_of(param_groups_[g].options())};
    for (std::size_t i = 0; i < group.params.size(); ++i) group.names.push_back(fmt::format("group{}.{}", g, i));
    groups.push_back(std::move(group));
  }
  auto core = std::make_unique<optim::Optimizer>(name_, ParamValues{}, std::move(groups), optim::FusedOptions{.threads = threads_});
  if (core_) {
    torch::NoGradGuard no_grad;
    for (std::size_t g = 0; g < layout_.size(); ++g) {
      for (std::size_t i = 0; i < layout_[g]; ++i) {
        const auto before = core_->parameter_state(g, i);
        const auto after = core->parameter_state(g, i);
        for (std::size_t k = 0; k < before.size(); ++k) after[k].second.copy_(before[k].second);
      }
      core->load_group_scalars(g, core_->group_scalars(g));
    }
    core->set_steps_taken(core_->steps_taken());
  }
  core_ = std::move(core);
  layout_ = std::move(layout);
}

torch::Tensor Fused::step(LossClosure closure) {
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  build_core_if_groups_changed();
  for (std::size_t g = 0; g < param_groups_.size(); ++g) core_->set_hyperparameters(g, values_of(param_groups_[g].options()));
  core_->step(loss.defined() ? std::optional<double>(loss.item<double>()) : std::nullopt);
  return loss;
}

void Fused::save(torch::serialize::OutputArchive& archive) const {
  const_cast<Fused*>(this)->build_core_if_groups_changed();
  core_->save(archive);
}

void Fused::load(torch::serialize::InputArchive& archive) {
  build_core_if_groups_changed();
  core_->load(archive);
}

const optim::Optimizer& Fused::core() {
  build_core_if_groups_changed();
  return *core_;
}

#define DESCENT_DROP_IN(Class, Options, registry_name)                                                                  \
  Class::Class(std::vector<topt::OptimizerParamGroup> groups, topt::Options defaults, int threads)                      \
      : Fused(registry_name, std::move(groups), std::make_unique<topt::Options>(defaults), threads) {}                  \
  Class::Class(std::vector<torch::Tensor> parameters, topt::Options defaults, int threads)                              \
      : Class(one_group(std::move(parameters)), std::move(defaults), threads) {}
DESCENT_DROP_IN(Adam, AdamOptions, "adam")
DESCENT_DROP_IN(AdamW, AdamWOptions, "adamw")
DESCENT_DROP_IN(RMSprop, RMSpropOptions, "rmsprop")
DESCENT_DROP_IN(Adagrad, AdagradOptions, "adagrad")
DESCENT_DROP_IN(SGD, SGDOptions, "sgd")
#undef DESCENT_DROP_IN

}  // namespace descent::optim::drop_in
