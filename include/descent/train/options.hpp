// [train] and one [[optimizers]] entry: the budget and loop settings of a run, and the optimizer it uses.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "descent/attack/options.hpp"
#include "descent/core/fields.hpp"
#include "descent/core/param_spec.hpp"

namespace descent::train {

inline constexpr double kDefaultDivergenceFactor = 1000.0;

struct TrainOptions {
  std::int64_t epochs = 1;
  std::int64_t batch_size = 128;
  std::int64_t max_steps = 0;  // 0: no limit beyond epochs
  std::int64_t log_every = 50;
  std::int64_t threads = 1;
  std::int64_t eval_every_samples = 0;  // also evaluate every this many training samples (0: epoch ends only)
  std::int64_t checkpoint_every = 0;    // save a resumable checkpoint every this many steps (0: never)
  double z_loss = 0.0;                  // classification: add z_loss * mean(log^2 Z) to the training loss
  // A step whose training loss exceeds this factor x the first step's loss ends the run as
  // diverged (as a non-finite loss does); 0: only non-finite losses.
  double divergence_factor = kDefaultDivergenceFactor;
  bool save_model = false;              // keep each finished run's parameters (for `descent diagnose RUN`)
  std::string tensorboard;              // write TensorBoard event files here while training ("": no)
  // Adversarial training (Madry et al., ICLR 2018): each batch is replaced by its attack on the
  // current model before the step. Absent: ordinary training.
  std::optional<attack::AttackOptions> adversarial{};
};

struct OptimizerEntry {
  std::string name;
  std::string label;  // shown in reports; defaults to the name, made unique
  ParamValues hyper;  // every hyperparameter of the optimizer, defaults filled
};

// [train]. Threads change speed, not the experiment: stored, but run_key drops them.
template <class Fields>
void describe(TrainOptions& o, Fields& f) {
  f.integer("epochs", o.epochs, 1, 100000);
  f.integer("batch_size", o.batch_size, 1, 1 << 24);
  f.integer("max_steps", o.max_steps, 0);
  f.integer("log_every", o.log_every, 1);
  f.integer("threads", o.threads, 1, 256);
  f.integer("eval_every_samples", o.eval_every_samples, 0);
  f.integer("checkpoint_every", o.checkpoint_every, 0, std::numeric_limits<std::int64_t>::max(), Field{true, false});  // how often to save changes no result
  f.real("z_loss", o.z_loss, 0.0, 1e3, false, stored_if(o.z_loss > 0));
  f.real("divergence_factor", o.divergence_factor, 0.0, 1e300, false, stored_if(o.divergence_factor != kDefaultDivergenceFactor));
  f.boolean("save_model", o.save_model, Field{true, false});
  f.text("tensorboard", o.tensorboard, {}, Field{true, false});  // where to watch a run changes no result
  f.section("adversarial", o.adversarial);
}

}  // namespace descent::train
