// The study file: a TOML document naming the data, the model, the training budget, the optimizers
// to compare and the schedule. Loading validates every key; errors name the file and the key and
// suggest the nearest valid key. The resolved config (every default filled in) is what each run stores.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "descent/comm/compressor.hpp"
#include "descent/core/param_spec.hpp"
#include "descent/schedule/schedule.hpp"

namespace descent::study {

struct DataConfig {
  std::string dataset = "fashion-mnist";  // fashion-mnist | gaussian-mixture | linear-regression | text
  std::string dir = "/usr/share/datasets/fashion-mnist";
  std::int64_t validation = 0;    // samples carved from train, by seed
  std::int64_t train_subset = 0;  // 0: all
  std::int64_t test_subset = 0;   // 0: all
  bool standardize = false;
  // Synthetic datasets only.
  std::int64_t train_size = 2000;
  std::int64_t test_size = 500;
  std::int64_t features = 20;
  std::int64_t classes = 4;
  double separation = 2.0;
  double noise = 0.1;
  // text: a character-level corpus (data/text.hpp).
  std::string text_path = "/usr/share/common-licenses";
  std::int64_t context = 64;
  bool random_labels = false;  // classification: replace the training labels by uniform random ones (drawn by seed)
  std::uint64_t seed = 0;  // draws synthetic data, carves validation and subsets: fixed per study, so all runs see the same data
};

struct ModelConfig {
  std::string kind = "mlp";  // mlp | cnn | linear | transformer
  std::vector<std::int64_t> hidden = {256};
  std::string activation = "relu";
  bool batch_norm = false;       // mlp: batch normalization after each hidden layer
  std::int64_t ghost_batch = 0;  // ghost batch size for that normalization (0: the whole batch)
  // transformer (text data only)
  std::int64_t width = 64, heads = 4, layers = 2;
  bool qk_layernorm = false;
};

struct TrainConfig {
  std::int64_t epochs = 1;
  std::int64_t batch_size = 128;
  std::int64_t max_steps = 0;  // 0: no limit beyond epochs
  std::int64_t log_every = 50;
  std::int64_t threads = 1;
  std::int64_t eval_every_samples = 0;  // also evaluate every this many training samples (0: epoch ends only)
  std::int64_t checkpoint_every = 0;    // save a resumable checkpoint every this many steps (0: never)
  double z_loss = 0.0;                  // classification: add z_loss * mean(log^2 Z) to the training loss
  bool save_model = false;              // keep each finished run's parameters (for `descent diagnose RUN`)
};

// How the batch size evolves: constant (train.batch_size), scheduled (a schedule's factor times
// train.batch_size), or adaptive (AdAdaGrad's tests on per-sample gradients; batch/adaptive_batch.hpp).
struct BatchConfig {
  std::string policy = "constant";
  schedule::ScheduleSpec schedule = schedule::default_spec("constant");
  std::string test = "norm";  // norm | inner_product | orthogonality | augmented
  double threshold = 0.1;     // eta, theta or nu
  double orthogonality_threshold = 1.0;
  std::int64_t max = 0;       // cap; 0: the training set size
  std::int64_t test_interval = 1;
  std::int64_t test_samples = 256;  // cap of the micro-batch whose per-sample gradients are computed
  std::string lr_scaling = "none";  // none | linear | sqrt | auto, relative to `reference`
  std::int64_t reference = 0;       // the batch the base lr and epochs belong to (0: train.batch_size)
  bool regime_adaptation = false;   // Hoffer et al.: epochs x ceil(train.batch_size / reference)
};

// Training-dynamics probes measured during runs (diag/). Each has a cost budget in Hessian-vector
// products; 0 turns a probe off.
struct DiagnosticsConfig {
  std::int64_t sharpness_every = 0;      // steps between top-Hessian-eigenvalue measurements
  std::int64_t hessian_samples = 1000;   // the first N training samples define the measured loss
  std::int64_t lanczos_iterations = 20;  // HVPs per measurement
  std::int64_t trace_samples = 0;        // with the sharpness: Hutchinson's tr(H) from this many HVPs (0: off)
  std::int64_t gradient_stats_every = 0; // steps between noise-scale and coherence measurements
  std::int64_t gradient_samples = 256;   // per-sample gradients per measurement (the batch's first)
  bool layer_norms = false;              // per-layer gradient norm and update/parameter ratio at log steps
  std::int64_t example_losses_every = 0;   // steps between per-example loss measurements (0: off)
  std::int64_t example_losses_samples = 512;  // the first N training samples are tracked
  double spike_threshold = 0.05;         // a rise of the tracked mean loss by this fraction is a spike
  std::int64_t spike_top = 20;           // examples named at a spike
};

// Data-parallel training (comm/): workers, each with its shard of every batch, exchanging
// gradients through a compressor and an error-feedback mechanism. Under mpirun each rank holds
// workers / ranks of them; without MPI all of them run in this process (the simulator).
struct CommConfig {
  std::int64_t workers = 1;  // 0: one per MPI process
  comm::CompressorSpec compressor;
  std::string feedback = "none";    // none | ef | ef21 | ef21-w
  std::vector<double> smoothness;   // ef21-w: L_i per worker (empty: uniform weights, i.e. EF21)
  bool data_parallel() const { return workers != 1; }
};

// [tune]: a Bayesian-optimization (or random / grid) study over config keys; `descent tune`.
struct TuneParam {
  std::string name;                  // a config key path, as in overrides: "optimizers[0].lr"
  std::string type = "float";        // float | int | categorical
  double low = 0.0, high = 1.0;
  bool log = false;
  std::vector<std::string> choices;  // categorical: TOML values as text
};

struct TuneConfig {
  std::int64_t trials = 0;  // 0: the study has no [tune]
  std::string objective = "final_val_loss";  // a run summary value
  std::string direction = "minimize";        // minimize | maximize
  std::string sampler = "gp";                // gp | random | grid
  std::string acquisition = "ei";            // gp: ei | ucb | kg
  std::string kernel = "matern52";           // gp: matern52 | squared_exponential
  std::int64_t initial_trials = 0;           // gp: quasi-random trials first (0: max(5, 2 x parameters))
  double ucb_beta = 4.0;
  std::int64_t grid_levels = 5;
  std::string pruner = "none";               // none | median | asha
  std::string report = "val_loss";           // the intermediate value reported after each epoch
  std::int64_t startup_trials = 5, warmup_steps = 0;      // median
  std::int64_t min_resource = 1, reduction_factor = 3;    // asha
  bool thresholdout = false;                 // answer the objective through Thresholdout
  double threshold = 0.04, sigma = 0.01;
  std::int64_t budget = 100;
  std::uint64_t seed = 0;
  std::vector<TuneParam> params;
};

struct OptimizerEntry {
  std::string name;
  std::string label;  // shown in reports; defaults to the name, made unique
  ParamValues hyper;  // every hyperparameter of the optimizer, defaults filled
};

using ScheduleConfig = schedule::ScheduleSpec;

struct StudyConfig {
  std::string name;
  std::vector<std::uint64_t> seeds = {0};
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  BatchConfig batch;
  DiagnosticsConfig diagnostics;
  CommConfig comm;
  TuneConfig tune;
  std::vector<OptimizerEntry> optimizers;
  ScheduleConfig schedule;
  // [schedules.NAME]: a schedule whose factor multiplies hyperparameter NAME (weight_decay,
  // beta1, momentum, ...) of every optimizer entry that has it.
  std::map<std::string, ScheduleConfig> hyper_schedules;
  std::string source;  // the file it came from, for messages
};

// Reads and validates a study file, applying `key.path=value` overrides first.
StudyConfig load_study_config(const std::filesystem::path& file, std::span<const std::string> overrides = {});
// The same from text; `source` names it in messages.
StudyConfig parse_study_config(std::string_view toml_text, const std::string& source,
                               std::span<const std::string> overrides = {});

nlohmann::json to_json(const StudyConfig& config);
// The study (one optimizer entry, one seed) a stored run's resolved config describes: its study
// name, data, model, training budget and optimizer, read back through the ordinary parser.
StudyConfig study_config_of_run(const nlohmann::json& run_config, const std::string& source);
nlohmann::json schedule_json(const ScheduleConfig& schedule);
// The resolved config of one run: the study with a single optimizer entry and the run's seed.
nlohmann::json run_config_json(const StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed);
// A stable identity for a run's config (threads excluded: they change speed, not the experiment).
std::string run_key(const nlohmann::json& run_config);

}  // namespace descent::study
