// Gradient transforms, composed at compile time into one fused pass (optax's shape, torch's speed).
//
// A transform is a small struct, templated on the element type T, with
//   static constexpr int slots;              per-element state values it keeps (m, v, ...)
//   struct Scalars { ... };                  per-step constants (bias corrections, lr, ...)
//   Scalars prepare(const StepContext&);     once per step, before the element pass
//   T apply(T u, T p, T* s, const Scalars&); per element: takes the update so far, returns the next
//   static std::vector<std::string> slot_names();  what each state value is ("m", "v", ...)
// and optionally, for a transform that needs a global quantity (a norm over all parameters),
//   static constexpr bool reduces = true;
//   double reduce_term(T u, T p, const T* s);  summed over every element first, then
//   Scalars prepare(const StepContext&, double sum);
//   bool active() const;                       false: no reduction pass (prepare gets 0)
// or, for one that needs quantities per parameter tensor (LAMB's trust ratio),
//   static constexpr int per_tensor_terms = K;
//   std::array<double, K> reduce_terms(T u, T p, const T* s);  summed over each tensor, then
//   Scalars prepare(const StepContext&, const std::array<double, K>& sums);  once per tensor
// Per-tensor transforms must come after every globally reducing one.
// `s` points at the transform's own state values for the element, copied into registers: apply
// may update them; the fused loop writes them back. A chain feeds the gradient through its
// transforms in order and adds the final update to the parameter: p += chain(g).
// Transforms may also keep per-group scalar state (AdaGrad-Norm's b²) that prepare() updates;
// they expose it as scalar_state()/load_scalar_state() so checkpoints can carry it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace descent::optim {

struct StepContext {
  std::int64_t step = 1;       // 1-based index of the step being taken
  double learning_rate = 0.0;  // the group's rate at this step (after any schedule)
  std::optional<double> loss;  // the loss at the current parameters, for rules that use it
};

template <class Transform>
concept Reducing = Transform::reduces;

template <class Transform>
concept ReducingPerTensor = Transform::per_tensor_terms > 0;

template <class Transform>
concept Switchable = requires(const Transform t) {
  { t.active() } -> std::same_as<bool>;
};

template <class Transform>
concept HasSlotNames = requires {
  { Transform::slot_names() } -> std::same_as<std::vector<std::string>>;
};

template <class Transform>
concept HasInitialState = requires(const Transform t, int slot) {
  { t.initial_state(slot) };
};

template <class Transform>
concept HasScalarState = requires(Transform t, const std::vector<double>& values) {
  { t.scalar_state() } -> std::same_as<std::vector<double>>;
  t.load_scalar_state(values);
};

template <class T, class... Transforms>
class Chain {
public:
  using value_type = T;
  static constexpr int slots = (Transforms::slots + ... + 0);
  static constexpr std::size_t size = sizeof...(Transforms);
  using Scalars = std::tuple<typename Transforms::Scalars...>;

  Chain() = default;
  explicit Chain(Transforms... transforms) : transforms_(std::move(transforms)...) {}

  template <std::size_t J>
  static constexpr bool reduces_at() {
    return Reducing<std::tuple_element_t<J, std::tuple<Transforms...>>>;
  }
  template <std::size_t J>
  static constexpr bool reduces_per_tensor_at() {
    return ReducingPerTensor<std::tuple_element_t<J, std::tuple<Transforms...>>>;
  }
  static constexpr bool has_per_tensor = (ReducingPerTensor<Transforms> || ...);
  // A global reduction after a per-tensor one would need per-tensor scalars in its sum.
  static constexpr bool reductions_in_order() {
    constexpr bool per_tensor[] = {ReducingPerTensor<Transforms>..., false};
    constexpr bool global[] = {Reducing<Transforms>..., false};
    bool seen_per_tensor = false;
    for (std::size_t k = 0; k < sizeof...(Transforms); ++k) {
      if (global[k] && seen_per_tensor) return false;
      seen_per_tensor = seen_per_tensor || per_tensor[k];
    }
    return true;
  }
  static_assert(reductions_in_order(), "global reductions come before per-tensor ones");

  // Whether transform J's global reduction must run this step (a clip at 0 needs none).
  template <std::size_t J>
  bool reduction_active() const {
    const auto& t = std::get<J>(transforms_);
    if constexpr (Switchable<std::decay_t<decltype(t)>>) {
      return t.active();
    } else {
      return true;
    }
  }

  // Names of the state values, in slot order.
  static std::vector<std::string> slot_names() {
    std::vector<std::string> names;
    (append_names<Transforms>(names), ...);
    return names;
  }

  // Scalars of transform J (call in order; a reducing transform gets its global sum).
  template <std::size_t J>
  auto prepare_one(const StepContext& context, [[maybe_unused]] double reduction) {
    auto& transform = std::get<J>(transforms_);
    if constexpr (reduces_per_tensor_at<J>()) {
      return typename std::decay_t<decltype(transform)>::Scalars{};  // set per tensor afterwards
    } else if constexpr (reduces_at<J>()) {
      return transform.prepare(context, reduction);
    } else {
      return transform.prepare(context);
    }
  }

  // Applies transforms [Begin, End) to the update u of one element.
  template <std::size_t Begin, std::size_t End>
  static inline T apply_range(T u, T p, T* state, const Scalars& scalars, const std::tuple<Transforms...>& ts) {
    if constexpr (Begin == End) {
      return u;
    } else {
      constexpr int offset = slot_offset<Begin>();
      u = std::get<Begin>(ts).apply(u, p, state + offset, std::get<Begin>(scalars));
      return apply_range<Begin + 1, End>(u, p, state, scalars, ts);
    }
  }

  // The reduce term of transform J for one element (transforms before J applied, nothing stored).
  template <std::size_t J>
  inline double reduce_term(T g, T p, T* state, const Scalars& scalars) const {
    const T u = apply_range<0, J>(g, p, state, scalars, transforms_);
    return std::get<J>(transforms_).reduce_term(u, p, state + slot_offset<J>());
  }
  template <std::size_t J>
  inline auto reduce_terms(T g, T p, T* state, const Scalars& scalars) const {
    const T u = apply_range<0, J>(g, p, state, scalars, transforms_);
    return std::get<J>(transforms_).reduce_terms(u, p, state + slot_offset<J>());
  }
  // Scalars of per-tensor transform J from its sums over one tensor.
  template <std::size_t J, std::size_t K>
  auto prepare_per_tensor(const StepContext& context, const std::array<double, K>& sums) const {
    return std::get<J>(transforms_).prepare(context, sums);
  }

  inline T apply(T g, T p, T* state, const Scalars& scalars) const {
    return apply_range<0, size>(g, p, state, scalars, transforms_);
  }

  template <std::size_t J>
  static constexpr int slot_offset() {
    constexpr int counts[] = {Transforms::slots..., 0};
    int offset = 0;
    for (std::size_t k = 0; k < J; ++k) offset += counts[k];
    return offset;
  }

  // The value state slot k starts from (zero unless a transform says otherwise, as AdaGrad's
  // initial accumulator does).
  T initial_value(int slot) const {
    T value = T(0);
    int offset = 0;
    std::apply([&](const auto&... t) { ((value = initial_of(t, slot, offset, value)), ...); }, transforms_);
    return value;
  }

  std::tuple<Transforms...>& transforms() { return transforms_; }
  const std::tuple<Transforms...>& transforms() const { return transforms_; }

  // Per-group scalar state of every transform, concatenated (for checkpoints).
  std::vector<double> scalar_state() const {
    std::vector<double> all;
    std::apply([&](const auto&... t) { (append_state(t, all), ...); }, transforms_);
    return all;
  }
  void load_scalar_state(const std::vector<double>& values) {
    if (values.size() != scalar_state().size()) {
      throw std::invalid_argument("scalar state of " + std::to_string(values.size()) + " values for a chain that keeps " +
                                  std::to_string(scalar_state().size()));
    }
    std::size_t offset = 0;
    std::apply([&](auto&... t) { (load_state(t, values, offset), ...); }, transforms_);
  }

private:
  template <class Transform>
  static void append_names(std::vector<std::string>& names) {
    if constexpr (Transform::slots > 0) {
      static_assert(HasSlotNames<Transform>, "a transform with state names its slots");
      for (auto& name : Transform::slot_names()) names.push_back(name);
    }
  }

  template <class Transform>
  static T initial_of(const Transform& t, int slot, int& offset, T value) {
    const int begin = offset;
    offset += Transform::slots;
    if constexpr (HasInitialState<Transform>) {
      if (slot >= begin && slot < offset) return static_cast<T>(t.initial_state(slot - begin));
    }
    return value;
  }

  template <class Transform>
  static void append_state(const Transform& t, std::vector<double>& out) {
    if constexpr (HasScalarState<Transform>) {
      const auto values = t.scalar_state();
      out.insert(out.end(), values.begin(), values.end());
    }
  }
  template <class Transform>
  static void load_state(Transform& t, const std::vector<double>& values, std::size_t& offset) {
    if constexpr (HasScalarState<Transform>) {
      const std::size_t n = t.scalar_state().size();
      t.load_scalar_state(std::vector<double>(values.begin() + static_cast<std::ptrdiff_t>(offset),
                                              values.begin() + static_cast<std::ptrdiff_t>(offset + n)));
      offset += n;
    }
  }

  std::tuple<Transforms...> transforms_;
};

}  // namespace descent::optim
