// An optimizer over plain float or double buffers, without LibTorch: analytic problems, tests,
// and any code that owns its parameters as arrays.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "descent/optim/rule.hpp"

namespace descent::optim {

template <class T>
class BufferOptimizer {
public:
  // `parameters` must outlive the optimizer; `hyper` may omit keys (defaults are used).
  BufferOptimizer(const std::string& name, const ParamValues& hyper, std::vector<std::span<T>> parameters,
                  FusedOptions options = {});

  // One step with one gradient per parameter buffer (same sizes). `loss` is needed only by
  // loss-normalized GD.
  void step(const std::vector<std::span<const T>>& gradients, std::optional<double> loss = std::nullopt);

  void set_learning_rate(double lr) { learning_rate_ = lr; }
  double learning_rate() const { return learning_rate_; }
  std::int64_t steps_taken() const { return step_; }
  // State values kept per parameter element (Adam: 2).
  int slots() const { return rule_->slots(); }
  std::vector<std::string> slot_names() const { return rule_->slot_names(); }
  // State slot k (in slot_names() order), or the slot called `slot`, of parameter i.
  std::vector<T>& state(std::size_t parameter, int slot) { return state_[parameter][static_cast<std::size_t>(slot)]; }
  std::vector<T>& state(std::size_t parameter, const std::string& slot);

private:
  std::unique_ptr<Rule<T>> rule_;
  std::vector<std::span<T>> parameters_;
  std::vector<std::vector<std::vector<T>>> state_;  // parameter x slot x element
  std::vector<std::vector<T*>> slot_pointers_;      // parameter x slot
  FusedOptions options_;
  double learning_rate_ = 0.0;
  std::int64_t step_ = 0;
};

extern template class BufferOptimizer<float>;
extern template class BufferOptimizer<double>;

}  // namespace descent::optim
