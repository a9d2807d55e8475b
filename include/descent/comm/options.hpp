// [comm]: data-parallel workers, each with its shard of every batch, exchanging gradients
// through a compressor and an error-feedback mechanism. Under mpirun each rank holds
// workers / ranks of them; without MPI all of them run in this process (the simulator).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "descent/comm/compressor.hpp"

namespace descent::comm {

struct CommOptions {
  std::int64_t workers = 1;  // 0: one per MPI process
  CompressorSpec compressor;
  std::string feedback = "none";   // none | ef | ef21 | ef21-w
  std::vector<double> smoothness;  // ef21-w: L_i per worker (empty: uniform weights, i.e. EF21)
  bool data_parallel() const { return workers != 1; }
};

}  // namespace descent::comm
