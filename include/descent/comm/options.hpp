// [comm]: data-parallel workers, each with its shard of every batch, exchanging gradients
// through a compressor and an error-feedback mechanism. Under mpirun each rank holds
// workers / ranks of them; without MPI all of them run in this process (the simulator).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "descent/comm/compressor.hpp"
#include "descent/comm/feedback.hpp"
#include "descent/core/fields.hpp"

namespace descent::comm {

struct CommOptions {
  std::int64_t workers = 1;  // 0: one per MPI process
  CompressorSpec compressor;
  Feedback feedback = Feedback::none;
  std::vector<double> smoothness;  // ef21-w: L_i per worker (empty: uniform weights, i.e. EF21)
  double momentum = 0.1;           // ef21-sgdm: eta in v_i <- (1 - eta) v_i + eta grad_i
  bool data_parallel() const { return workers != 1; }
};

// [comm]: the compressor's and the feedback's own keys follow their choice. Single-worker runs
// store no [comm] at all (study/config.cpp), so their run keys are those of studies before it.
inline const EnumNames<Feedback> kFeedbacks = {
    {Feedback::none, "none"}, {Feedback::ef, "ef"}, {Feedback::ef21, "ef21"}, {Feedback::ef21_w, "ef21-w"},
    {Feedback::ef21_sgdm, "ef21-sgdm"}};

template <class Fields>
void describe(CommOptions& o, Fields& f, const std::vector<std::string>& compressors) {
  f.integer("workers", o.workers, 0, 4096);
  f.text("compressor", o.compressor.name, compressors);
  f.choice("feedback", o.feedback, kFeedbacks);
  const std::string& name = o.compressor.name;
  if (name == "topk" || name == "randk") {
    f.real("ratio", o.compressor.ratio, 0.0, 1.0, true);
    f.integer("k", o.compressor.k, 0);
  }
  if (name == "qsgd") f.integer("levels", o.compressor.levels, 1, 1 << 20);
  if (o.feedback == Feedback::ef21_w) f.positives("smoothness", o.smoothness);
  if (o.feedback == Feedback::ef21_sgdm) f.real("momentum", o.momentum, 0.0, 1.0, true);
}

}  // namespace descent::comm
