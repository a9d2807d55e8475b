// What an attack is: its kind, norm, radius and steps (attack/attacks.hpp runs it). Free of
// LibTorch, so that a study file's [train] adversarial table is read where configs are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "descent/core/fields.hpp"

namespace descent::attack {

enum class Norm { linf, l2 };
inline const EnumNames<Norm> kNorms = {{Norm::linf, "linf"}, {Norm::l2, "l2"}};

struct AttackOptions {
  std::string kind = "pgd";  // fgsm | bim | pgd | mim
  Norm norm = Norm::linf;    // fgsm, bim and mim are L-infinity attacks
  double eps = 0.1;
  double step_size = 0.025;  // alpha (fgsm: eps)
  int steps = 10;            // fgsm: 1
  double momentum = 1.0;     // mim: mu
  std::optional<double> clip_min{}, clip_max{};  // C++ only: the valid input range, if any
};

inline const std::vector<std::string> kAttackKinds = {"fgsm", "bim", "pgd", "mim"};

// [train] adversarial = { attack = "pgd", norm = "linf", eps = ..., step_size = ..., steps = ... }.
template <class Fields>
void describe(AttackOptions& o, Fields& f) {
  f.text("attack", o.kind, kAttackKinds);
  f.choice("norm", o.norm, kNorms);
  f.real("eps", o.eps, 0.0, 1e6, true);
  if (o.kind == "fgsm") return;
  f.real("step_size", o.step_size, 0.0, 1e6, true);
  std::int64_t steps = o.steps;
  f.integer("steps", steps, 1, 100000);
  o.steps = static_cast<int>(steps);
  if (o.kind == "mim") f.real("momentum", o.momentum, 0.0, 1e3);
}

}  // namespace descent::attack
