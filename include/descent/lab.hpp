// The lab in one include (descent::core, descent::torch, descent::tune): study files, the training
// loop and its probes, the run store, reports, tuning, and data-parallel exchange.
#pragma once

#include "descent/optim.hpp"

#include "descent/comm/exchange.hpp"
#include "descent/data/splits.hpp"
#include "descent/diag/probe.hpp"
#include "descent/models/models.hpp"
#include "descent/report/report.hpp"
#include "descent/store/store.hpp"
#include "descent/study/config.hpp"
#include "descent/study/study_runner.hpp"
#include "descent/study/tuner.hpp"
#include "descent/train/trainer.hpp"
