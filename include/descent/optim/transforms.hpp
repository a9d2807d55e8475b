// Transforms any chain can use: learning-rate and constant scaling, the three kinds of weight
// decay, clipping by value and by global norm, and scaling by a schedule.
#pragma once

#include <algorithm>
#include <cmath>

#include "descent/optim/transform.hpp"
#include "descent/schedule/schedule.hpp"

namespace descent::optim {

// u -> -lr * u: the last transform of a descent chain (the parameter then moves by p += u).
template <class T>
struct ScaleByLearningRate {
  static constexpr int slots = 0;
  struct Scalars {
    T minus_lr;
  };
  Scalars prepare(const StepContext& context) const { return {static_cast<T>(-context.learning_rate)}; }
  T apply(T u, T, T*, const Scalars& s) const { return s.minus_lr * u; }
};

// u -> c * u.
template <class T>
struct ScaleByConstant {
  static constexpr int slots = 0;
  double factor = 1.0;
  struct Scalars {
    T factor;
  };
  Scalars prepare(const StepContext&) const { return {static_cast<T>(factor)}; }
  T apply(T u, T, T*, const Scalars& s) const { return s.factor * u; }
};

// u -> schedule(step) * u, for a rate that follows its own schedule within a chain.
template <class T>
struct ScaleBySchedule {
  static constexpr int slots = 0;
  schedule::Schedule schedule;
  struct Scalars {
    T factor;
  };
  Scalars prepare(const StepContext& context) const { return {static_cast<T>(schedule.factor(context.step - 1))}; }
  T apply(T u, T, T*, const Scalars& s) const { return s.factor * u; }
};

// Coupled (L2) weight decay: u -> u + wd * p, placed before a preconditioner so that the decay
// is preconditioned too (torch's `weight_decay` for SGD and Adam).
template <class T>
struct AddL2Decay {
  static constexpr int slots = 0;
  double weight_decay = 0.0;
  struct Scalars {
    T wd;
  };
  Scalars prepare(const StepContext&) const { return {static_cast<T>(weight_decay)}; }
  T apply(T u, T p, T*, const Scalars& s) const { return u + s.wd * p; }
};

// Decoupled weight decay (Loshchilov & Hutter): placed after the preconditioner and before the
// learning rate, so that p moves by -lr * (direction + wd * p).
template <class T>
using AddDecoupledDecay = AddL2Decay<T>;

// Independent weight decay: placed after the learning rate, so p moves by u - wd * p whatever
// the rate (not multiplied by lr).
template <class T>
struct SubtractIndependentDecay {
  static constexpr int slots = 0;
  double weight_decay = 0.0;
  struct Scalars {
    T wd;
  };
  Scalars prepare(const StepContext&) const { return {static_cast<T>(weight_decay)}; }
  T apply(T u, T p, T*, const Scalars& s) const { return u - s.wd * p; }
};

// u -> clamp(u, -c, c), element by element.
template <class T>
struct ClipByValue {
  static constexpr int slots = 0;
  double clip = 1.0;
  struct Scalars {
    T clip;
  };
  Scalars prepare(const StepContext&) const { return {static_cast<T>(clip)}; }
  T apply(T u, T, T*, const Scalars& s) const { return std::min(std::max(u, -s.clip), s.clip); }
};

// u -> u * min(1, max_norm / (||u||_2 + 1e-6)) with the norm over every parameter of the group
// (torch.nn.utils.clip_grad_norm_'s rule). max_norm <= 0 turns it off: no reduction pass, and
// u * 1 leaves every bit as it was. Every rule built from a description starts with it (clip_norm).
template <class T>
struct ClipByGlobalNorm {
  static constexpr int slots = 0;
  static constexpr bool reduces = true;
  double max_norm = 1.0;
  struct Scalars {
    T scale;
  };
  bool active() const { return max_norm > 0.0; }
  double reduce_term(T u, T, const T*) const { return static_cast<double>(u) * static_cast<double>(u); }
  Scalars prepare(const StepContext&, double squared_norm) const {
    if (!active()) return {T(1)};
    return {static_cast<T>(std::min(1.0, max_norm / (std::sqrt(squared_norm) + 1e-6)))};
  }
  T apply(T u, T, T*, const Scalars& s) const { return s.scale * u; }
};

// sign(u) in {-1, 0, 1}, written without branches so that loops vectorize.
template <class T>
inline T sign_of(T u) {
  return static_cast<T>(u > T(0)) - static_cast<T>(u < T(0));
}

}  // namespace descent::optim
