// descent::optim in one include: every registered optimizer by name (over LibTorch parameters,
// plain buffers, or as torch::optim drop-ins), the transforms to compose your own chains, and the
// schedules. A chain type of one optimizer is in include/descent/optim/algorithms/NAME.hpp.
#pragma once

#include "descent/optim/buffer_optimizer.hpp"
#include "descent/optim/chain_rule.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/torch_drop_in.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "descent/optim/transforms.hpp"
#include "descent/schedule/refine.hpp"
#include "descent/schedule/schedule.hpp"
