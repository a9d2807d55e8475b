#include "descent/optim/buffer_optimizer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "descent/core/error.hpp"
#include "descent/optim/description.hpp"

namespace descent::optim {

template <class T>
BufferOptimizer<T>::BufferOptimizer(const std::string& name, const ParamValues& hyper, std::vector<std::span<T>> parameters,
                                    FusedOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  const OptimizerDescription& description = describe(name);
  const ParamValues resolved = description.resolve(hyper);
  rule_ = description.build<T>(resolved);
  learning_rate_ = resolved.at("lr");
  for (const auto& parameter : parameters_) {
    std::vector<std::vector<T>> slots;
    for (int k = 0; k < rule_->slots(); ++k) slots.emplace_back(parameter.size(), rule_->initial_value(k));
    state_.push_back(std::move(slots));
  }
  for (auto& slots : state_) {
    std::vector<T*> pointers;
    for (auto& slot : slots) pointers.push_back(slot.data());
    slot_pointers_.push_back(std::move(pointers));
  }
}

template <class T>
void BufferOptimizer<T>::step(const std::vector<std::span<const T>>& gradients, std::optional<double> loss) {
  if (gradients.size() != parameters_.size()) {
    throw std::invalid_argument(fmt::format("step: {} gradients for {} parameters", gradients.size(), parameters_.size()));
  }
  std::vector<ParamBuffer<T>> buffers;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (gradients[i].size() != parameters_[i].size()) {
      throw std::invalid_argument(fmt::format("step: gradient {} has {} values, its parameter {}", i, gradients[i].size(),
                                              parameters_[i].size()));
    }
    buffers.push_back({parameters_[i].data(), gradients[i].data(), parameters_[i].size(), slot_pointers_[i].data()});
  }
  ++step_;
  rule_->step(buffers, {step_, learning_rate_, loss}, options_);
}

template <class T>
std::vector<T>& BufferOptimizer<T>::state(std::size_t parameter, const std::string& slot) {
  const auto names = rule_->slot_names();
  const auto it = std::find(names.begin(), names.end(), slot);
  if (it == names.end()) throw std::invalid_argument(fmt::format("no state slot '{}'", slot));
  return state(parameter, static_cast<int>(it - names.begin()));
}

template class BufferOptimizer<float>;
template class BufferOptimizer<double>;

}  // namespace descent::optim
