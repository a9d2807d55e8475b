#include "descent/study/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "descent/comm/feedback.hpp"
#include "descent/core/error.hpp"
#include "descent/core/text.hpp"
#include "descent/models/catalog.hpp"
#include "descent/optim/catalog.hpp"
#include "descent/schedule/schedule.hpp"
#include "descent/study/overrides.hpp"

namespace descent::study {
namespace {

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "a list";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

// Reads the keys of one TOML table, checking each, and reports any key nobody asked for as
// unknown (with the nearest known key). Every message starts with "FILE: key 'a.b'".
class TableReader {
public:
  TableReader(const toml::table& table, std::string prefix, std::string source)
      : table_(table), prefix_(std::move(prefix)), source_(std::move(source)) {}

  std::string key_path(std::string_view key) const { return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key); }

  [[noreturn]] void fail(std::string_view key, const std::string& problem) const {
    throw ConfigError(fmt::format("{}: key '{}': {}", source_, key_path(key), problem));
  }

  const toml::node* take(std::string_view key) {
    known_.insert(std::string(key));
    return table_.get(key);
  }

  bool has(std::string_view key) const { return table_.contains(key); }

  std::string string(std::string_view key, std::string fallback, const std::vector<std::string>& choices = {}) {
    const toml::node* node = take(key);
    if (!node) return fallback;
    if (!node->is_string()) fail(key, fmt::format("expected a string, got {}", type_name(*node)));
    std::string value = **node->as_string();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end()) {
      fail(key, fmt::format("'{}' is not one of {}{}", value, text::join(choices, ", "), text::did_you_mean(value, choices)));
    }
    return value;
  }

  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max = INT64_MAX) {
    const toml::node* node = take(key);
    if (!node) return fallback;
    if (!node->is_integer()) fail(key, fmt::format("expected an integer, got {}", type_name(*node)));
    const std::int64_t value = **node->as_integer();
    if (value < min || value > max) {
      fail(key, max == INT64_MAX ? fmt::format("{} is out of range: must be >= {}", value, min)
                                 : fmt::format("{} is out of range: must be in [{}, {}]", value, min, max));
    }
    return value;
  }

  bool boolean(std::string_view key, bool fallback) {
    const toml::node* node = take(key);
    if (!node) return fallback;
    if (!node->is_boolean()) fail(key, fmt::format("expected true or false, got {}", type_name(*node)));
    return **node->as_boolean();
  }

  // A scalar described by a ParamSpec (optimizer hyperparameters, schedule parameters).
  double param(const ParamSpec& spec) {
    const toml::node* node = take(spec.name);
    if (!node) return spec.default_value;
    double value = 0.0;
    if (spec.kind == ParamKind::boolean) {
      if (!node->is_boolean()) fail(spec.name, fmt::format("expected true or false, got {}", type_name(*node)));
      return **node->as_boolean() ? 1.0 : 0.0;
    }
    if (spec.kind == ParamKind::choice) {
      if (!node->is_string()) fail(spec.name, fmt::format("expected a string, got {}", type_name(*node)));
      const std::string choice = **node->as_string();
      const auto it = std::find(spec.choices.begin(), spec.choices.end(), choice);
      if (it == spec.choices.end()) {
        fail(spec.name, fmt::format("'{}' is not one of {}{}", choice, text::join(spec.choices, ", "),
                                    text::did_you_mean(choice, spec.choices)));
      }
      return static_cast<double>(it - spec.choices.begin());
    }
    if (spec.kind == ParamKind::integer) {
      if (!node->is_integer()) fail(spec.name, fmt::format("expected an integer, got {}", type_name(*node)));
      value = static_cast<double>(**node->as_integer());
    } else {
      if (!node->is_number()) fail(spec.name, fmt::format("expected a number, got {}", type_name(*node)));
      value = node->is_integer() ? static_cast<double>(**node->as_integer()) : **node->as_floating_point();
    }
    const bool below = spec.min_exclusive ? value <= spec.min : value < spec.min;
    if (!std::isfinite(value) || below || value > spec.max) {
      fail(spec.name, fmt::format("{} is out of range: must be {}", value, describe_range(spec)));
    }
    return value;
  }

  std::vector<std::int64_t> integer_list(std::string_view key, std::vector<std::int64_t> fallback, std::int64_t min,
                                         bool allow_empty) {
    const toml::node* node = take(key);
    if (!node) return fallback;
    const toml::array* array = node->as_array();
    if (!array) fail(key, fmt::format("expected a list of integers, got {}", type_name(*node)));
    if (array->empty() && !allow_empty) fail(key, "the list is empty");
    std::vector<std::int64_t> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      if (!item.is_integer()) fail(key, fmt::format("entry {} is {}; expected an integer", i, type_name(item)));
      const std::int64_t value = **item.as_integer();
      if (value < min) fail(key, fmt::format("entry {} is {}; must be >= {}", i, value, min));
      values.push_back(value);
    }
    return values;
  }

  std::vector<double> positive_list(std::string_view key) {
    const toml::node* node = take(key);
    if (!node) return {};
    const toml::array* array = node->as_array();
    if (!array) fail(key, fmt::format("expected a list of numbers, got {}", type_name(*node)));
    std::vector<double> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      const std::optional<double> value = item.value<double>();
      if (!value) fail(key, fmt::format("entry {} is {}; expected a number", i, type_name(item)));
      if (!(*value > 0.0) || !std::isfinite(*value)) fail(key, fmt::format("entry {} is {}; must be positive", i, *value));
      values.push_back(*value);
    }
    return values;
  }

  const toml::table* table(std::string_view key) {
    const toml::node* node = take(key);
    if (!node) return nullptr;
    if (!node->is_table()) fail(key, fmt::format("expected a table [{}], got {}", key_path(key), type_name(*node)));
    return node->as_table();
  }

  // Any key present but never read is unknown: name it and suggest the nearest known one.
  void reject_unknown(const std::string& context = "") const {
    std::vector<std::string> candidates;
    for (const auto& known : known_) candidates.push_back(key_path(known));
    for (const auto& [key, node] : table_) {
      const std::string name(key.str());
      if (known_.count(name)) continue;
      throw ConfigError(fmt::format("{}: unknown key '{}'{}{}", source_, key_path(name), context,
                                    text::did_you_mean(key_path(name), candidates)));
    }
  }

private:
  const toml::table& table_;
  std::string prefix_;
  std::string source_;
  std::set<std::string> known_;
};


void read_study(TableReader& root, StudyConfig& config) {
  const toml::table* table = root.table("study");
  if (!table) root.fail("study", "missing: the [study] table with a name is required");
  TableReader study(*table, "study", config.source);
  config.name = study.string("name", "");
  if (config.name.empty()) study.fail("name", "missing or empty: every study needs a name");
  if (config.name.find_first_of("/\\") != std::string::npos) study.fail("name", "must not contain '/' or '\\'");
  const auto seeds = study.integer_list("seeds", {0}, 0, false);
  config.seeds.assign(seeds.begin(), seeds.end());
  if (std::set<std::uint64_t>(config.seeds.begin(), config.seeds.end()).size() != config.seeds.size()) {
    study.fail("seeds", "seeds repeat");
  }
  study.reject_unknown();
}

void read_data(TableReader& root, DataConfig& data, const std::string& source) {
  const toml::table* table = root.table("data");
  if (!table) return;
  TableReader reader(*table, "data", source);
  data.dataset = reader.string("dataset", data.dataset, data::dataset_names());
  data.validation = reader.integer("validation", 0, 0);
  data.seed = static_cast<std::uint64_t>(reader.integer("seed", 0, 0));
  if (data.dataset != "linear-regression" && data.dataset != "text") data.random_labels = reader.boolean("random_labels", false);
  if (data.dataset == "fashion-mnist") {
    data.dir = reader.string("dir", data.dir);
    data.train_subset = reader.integer("train_subset", 0, 0);
    data.test_subset = reader.integer("test_subset", 0, 0);
    data.standardize = reader.boolean("standardize", false);
  } else if (data.dataset == "text") {
    data.text_path = reader.string("path", data.text_path);
    data.context = reader.integer("context", data.context, 2, 4096);
  } else {
    data.train_size = reader.integer("train_size", data.train_size, 2);
    data.test_size = reader.integer("test_size", data.test_size, 1);
    data.features = reader.integer("features", data.features, 1, 1 << 20);
    if (data.dataset == "gaussian-mixture") {
      data.classes = reader.integer("classes", data.classes, 2, 1000);
      data.separation = reader.param({"separation", ParamKind::real, data.separation, 0.0, 1e3, false, ""});
    } else {
      data.noise = reader.param({"noise", ParamKind::real, data.noise, 0.0, 1e3, false, ""});
    }
    data.standardize = reader.boolean("standardize", false);
  }
  if (data.dataset != "text" &&
      data.validation >= (data.dataset == "fashion-mnist" ? (data.train_subset ? data.train_subset : 60000) : data.train_size)) {
    reader.fail("validation", fmt::format("{} samples would leave nothing to train on", data.validation));
  }
  reader.reject_unknown(fmt::format(" for dataset '{}'", data.dataset));
}

void read_model(TableReader& root, ModelConfig& model, const DataConfig& data, const std::string& source) {
  const toml::table* table = root.table("model");
  if (!table) return;
  TableReader reader(*table, "model", source);
  model.kind = reader.string("kind", model.kind, models::names());
  if (model.kind == "mlp") {
    model.hidden = reader.integer_list("hidden", model.hidden, 1, true);
    model.activation = reader.string("activation", model.activation, models::activations());
    model.batch_norm = reader.boolean("batch_norm", false);
    model.ghost_batch = reader.integer("ghost_batch", 0, 0);
    if (model.ghost_batch > 0 && !model.batch_norm) reader.fail("ghost_batch", "needs model.batch_norm = true");
  } else if (model.kind == "cnn" && data.dataset != "fashion-mnist") {
    reader.fail("kind", fmt::format("the cnn needs image data; dataset '{}' has flat features", data.dataset));
  } else if (model.kind == "transformer") {
    if (data.dataset != "text") reader.fail("kind", fmt::format("the transformer needs text data; dataset '{}' is not", data.dataset));
    model.width = reader.integer("width", model.width, 1, 1 << 16);
    model.heads = reader.integer("heads", model.heads, 1, 1024);
    model.layers = reader.integer("layers", model.layers, 1, 1024);
    model.qk_layernorm = reader.boolean("qk_layernorm", false);
    if (model.width % model.heads != 0) {
      reader.fail("heads", fmt::format("{} heads do not divide the width {}", model.heads, model.width));
    }
  }
  if (model.kind != "mlp") model.hidden.clear();
  reader.reject_unknown(fmt::format(" for model kind '{}'", model.kind));
}

void read_train(TableReader& root, TrainConfig& train, const std::string& source) {
  const toml::table* table = root.table("train");
  if (!table) return;
  TableReader reader(*table, "train", source);
  train.epochs = reader.integer("epochs", train.epochs, 1, 100000);
  train.batch_size = reader.integer("batch_size", train.batch_size, 1, 1 << 24);
  train.max_steps = reader.integer("max_steps", train.max_steps, 0);
  train.log_every = reader.integer("log_every", train.log_every, 1);
  train.threads = reader.integer("threads", train.threads, 1, 256);
  train.eval_every_samples = reader.integer("eval_every_samples", train.eval_every_samples, 0);
  train.checkpoint_every = reader.integer("checkpoint_every", train.checkpoint_every, 0);
  train.z_loss = reader.param({"z_loss", ParamKind::real, train.z_loss, 0.0, 1e3, false, ""});
  train.save_model = reader.boolean("save_model", false);  // not part of a run's identity: not in to_json
  reader.reject_unknown();
}

ScheduleConfig read_schedule_table(const toml::table& table, const std::string& prefix, const std::string& source);

void read_batch(TableReader& root, BatchConfig& batch, const std::string& source) {
  const toml::table* table = root.table("batch");
  if (!table) return;
  TableReader reader(*table, "batch", source);
  batch.policy = reader.string("policy", batch.policy, {"constant", "scheduled", "adaptive"});
  batch.lr_scaling = reader.string("lr_scaling", batch.lr_scaling, {"none", "linear", "sqrt", "auto"});
  batch.max = reader.integer("max", batch.max, 0);
  batch.reference = reader.integer("reference", batch.reference, 0);
  batch.regime_adaptation = reader.boolean("regime_adaptation", false);
  if (batch.policy == "scheduled") {
    const toml::table* schedule = reader.table("schedule");
    if (!schedule) reader.fail("schedule", "a scheduled batch size needs a [batch.schedule] table");
    batch.schedule = read_schedule_table(*schedule, "batch.schedule", source);
  }
  if (batch.policy == "adaptive") {
    batch.test = reader.string("test", batch.test, {"norm", "inner_product", "orthogonality", "augmented"});
    batch.threshold = reader.param({"threshold", ParamKind::real, batch.threshold, 0.0, 1e6, true, ""});
    batch.orthogonality_threshold = reader.param({"orthogonality_threshold", ParamKind::real, batch.orthogonality_threshold, 0.0, 1e6, true, ""});
    batch.test_interval = reader.integer("test_interval", batch.test_interval, 1);
    batch.test_samples = reader.integer("test_samples", batch.test_samples, 2, 65536);
  }
  reader.reject_unknown(fmt::format(" for batch policy '{}'", batch.policy));
}

void read_diagnostics(TableReader& root, DiagnosticsConfig& diagnostics, const std::string& source) {
  const toml::table* table = root.table("diagnostics");
  if (!table) return;
  TableReader reader(*table, "diagnostics", source);
  diagnostics.sharpness_every = reader.integer("sharpness_every", diagnostics.sharpness_every, 0);
  diagnostics.hessian_samples = reader.integer("hessian_samples", diagnostics.hessian_samples, 1);
  diagnostics.lanczos_iterations = reader.integer("lanczos_iterations", diagnostics.lanczos_iterations, 1, 10000);
  diagnostics.trace_samples = reader.integer("trace_samples", diagnostics.trace_samples, 0, 100000);
  diagnostics.gradient_stats_every = reader.integer("gradient_stats_every", diagnostics.gradient_stats_every, 0);
  diagnostics.gradient_samples = reader.integer("gradient_samples", diagnostics.gradient_samples, 2, 65536);
  diagnostics.layer_norms = reader.boolean("layer_norms", false);
  diagnostics.example_losses_every = reader.integer("example_losses_every", diagnostics.example_losses_every, 0);
  diagnostics.example_losses_samples = reader.integer("example_losses_samples", diagnostics.example_losses_samples, 1);
  diagnostics.spike_threshold = reader.param({"spike_threshold", ParamKind::real, diagnostics.spike_threshold, 0.0, 1e3, false, ""});
  diagnostics.spike_top = reader.integer("spike_top", diagnostics.spike_top, 1, 100000);
  reader.reject_unknown();
}

void read_comm(TableReader& root, CommConfig& comm, const ModelConfig& model, const std::string& source) {
  const toml::table* table = root.table("comm");
  if (!table) return;
  TableReader reader(*table, "comm", source);
  comm.workers = reader.integer("workers", comm.workers, 0, 4096);
  comm.compressor.name = reader.string("compressor", comm.compressor.name, comm::compressor_names());
  comm.feedback = reader.string("feedback", comm.feedback, comm::feedback_names());
  const std::string& name = comm.compressor.name;
  if (name == "topk" || name == "randk") {
    comm.compressor.ratio = reader.param({"ratio", ParamKind::real, comm.compressor.ratio, 0.0, 1.0, true, ""});
    comm.compressor.k = reader.integer("k", comm.compressor.k, 0);
  }
  if (name == "qsgd") comm.compressor.levels = reader.integer("levels", comm.compressor.levels, 1, 1 << 20);
  if (comm.feedback == "ef21-w") comm.smoothness = reader.positive_list("smoothness");
  reader.reject_unknown(fmt::format(" for compressor '{}' and feedback '{}'", name, comm.feedback));
  if (comm.workers > 0 && !comm.smoothness.empty() && comm.smoothness.size() != static_cast<std::size_t>(comm.workers)) {
    reader.fail("smoothness", fmt::format("{} values for {} workers", comm.smoothness.size(), comm.workers));
  }
  if (model.batch_norm && comm.workers != 1) {
    reader.fail("workers", "data-parallel workers would keep different batch-norm running statistics; drop model.batch_norm");
  }
}

// Summary values a run records that a tuning objective may name.
const std::vector<std::string>& objective_names() {
  static const std::vector<std::string> names = {"final_val_loss", "final_val_accuracy", "best_val_accuracy", "final_test_loss",
                                                 "final_test_accuracy", "best_test_accuracy"};
  return names;
}

void read_tune(TableReader& root, TuneConfig& tune, const DataConfig& data, const std::string& source) {
  const toml::table* table = root.table("tune");
  if (!table) return;
  TableReader reader(*table, "tune", source);
  tune.trials = reader.integer("trials", 20, 1, 100000);
  tune.objective = reader.string("objective", tune.objective, objective_names());
  tune.direction = reader.string("direction", tune.objective.find("accuracy") != std::string::npos ? "maximize" : "minimize",
                                 {"minimize", "maximize"});
  tune.sampler = reader.string("sampler", tune.sampler, {"gp", "random", "grid"});
  if (tune.sampler == "gp") {
    tune.acquisition = reader.string("acquisition", tune.acquisition, {"ei", "ucb", "kg"});
    tune.kernel = reader.string("kernel", tune.kernel, {"matern52", "squared_exponential"});
    tune.initial_trials = reader.integer("initial_trials", tune.initial_trials, 0, 100000);
    if (tune.acquisition == "ucb") tune.ucb_beta = reader.param({"ucb_beta", ParamKind::real, tune.ucb_beta, 0.0, 1e6, true, ""});
  }
  if (tune.sampler == "grid") tune.grid_levels = reader.integer("grid_levels", tune.grid_levels, 1, 1000);
  tune.pruner = reader.string("pruner", tune.pruner, {"none", "median", "asha"});
  if (tune.pruner != "none") tune.report = reader.string("report", tune.report, {"val_loss", "val_accuracy", "test_loss", "test_accuracy"});
  if (tune.pruner == "median") {
    tune.startup_trials = reader.integer("startup_trials", tune.startup_trials, 0);
    tune.warmup_steps = reader.integer("warmup_steps", tune.warmup_steps, 0);
  }
  if (tune.pruner == "asha") {
    tune.min_resource = reader.integer("min_resource", tune.min_resource, 1);
    tune.reduction_factor = reader.integer("reduction_factor", tune.reduction_factor, 2, 100);
  }
  tune.thresholdout = reader.boolean("thresholdout", false);
  if (tune.thresholdout) {
    tune.threshold = reader.param({"threshold", ParamKind::real, tune.threshold, 0.0, 1e6, true, ""});
    tune.sigma = reader.param({"sigma", ParamKind::real, tune.sigma, 0.0, 1e6, true, ""});
    tune.budget = reader.integer("budget", tune.budget, 1, 1000000);
  }
  tune.seed = static_cast<std::uint64_t>(reader.integer("seed", 0, 0));
  const toml::node* params = reader.take("params");
  if (!params || !params->as_array() || params->as_array()->empty()) {
    reader.fail("params", "missing: add at least one [[tune.params]] table with a name, type and range or choices");
  }
  std::set<std::string> names;
  const toml::array& array = *params->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string prefix = fmt::format("tune.params[{}]", i);
    const toml::table* entry = array.get(i)->as_table();
    if (!entry) root.fail(prefix, "expected a table with a name, type and range or choices");
    TableReader param_reader(*entry, prefix, source);
    TuneParam param;
    param.name = param_reader.string("name", "");
    if (param.name.empty()) param_reader.fail("name", "missing: the config key to tune, e.g. \"optimizers[0].lr\"");
    if (!names.insert(param.name).second) param_reader.fail("name", fmt::format("'{}' is tuned twice", param.name));
    param.type = param_reader.string("type", "float", {"float", "int", "categorical"});
    if (param.type == "categorical") {
      const toml::node* choices = param_reader.take("choices");
      if (!choices || !choices->as_array() || choices->as_array()->empty()) param_reader.fail("choices", "missing: a non-empty list");
      for (const auto& choice : *choices->as_array()) {
        std::ostringstream text;
        if (choice.is_string()) {
          text << '"' << *choice.value<std::string>() << '"';
        } else {
          choice.visit([&](const auto& value) { text << value; });
        }
        param.choices.push_back(text.str());
      }
    } else {
      const bool integer = param.type == "int";
      const auto bound = [&](const char* key) {
        const toml::node* node = param_reader.take(key);
        if (!node || !(node->is_integer() || (!integer && node->is_floating_point()))) {
          param_reader.fail(key, integer ? "missing or not an integer" : "missing or not a number");
        }
        return *node->value<double>();
      };
      param.low = bound("low");
      param.high = bound("high");
      param.log = param_reader.boolean("log", false);
      if (!(param.low < param.high)) param_reader.fail("high", fmt::format("must exceed low ({} <= {})", param.high, param.low));
      if (param.log && param.low <= 0) param_reader.fail("low", "a log-scale range must be positive");
    }
    param_reader.reject_unknown(fmt::format(" for a {} parameter", param.type));
    tune.params.push_back(param);
  }
  reader.reject_unknown(fmt::format(" for sampler '{}' and pruner '{}'", tune.sampler, tune.pruner));
  if (tune.objective.find("val") != std::string::npos && data.validation == 0) {
    reader.fail("objective", fmt::format("'{}' needs a validation split: set data.validation", tune.objective));
  }
  if (tune.report.find("val") != std::string::npos && tune.pruner != "none" && data.validation == 0) {
    reader.fail("report", fmt::format("'{}' needs a validation split: set data.validation", tune.report));
  }
  if (tune.thresholdout && tune.objective.find("val") == std::string::npos) {
    reader.fail("thresholdout", "Thresholdout guards a reused validation split: the objective must be a val value");
  }
}

ParamValues read_params(TableReader& reader, const std::vector<ParamSpec>& specs) {
  ParamValues values;
  for (const auto& spec : specs) values[spec.name] = reader.param(spec);
  return values;
}

void read_optimizers(TableReader& root, StudyConfig& config) {
  const toml::node* node = root.take("optimizers");
  if (!node) root.fail("optimizers", "missing: add at least one [[optimizers]] entry with a name");
  const toml::array* array = node->as_array();
  if (!array || array->empty()) root.fail("optimizers", "expected a non-empty list of [[optimizers]] tables");
  std::set<std::string> labels;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string prefix = fmt::format("optimizers[{}]", i);
    const toml::table* table = array->get(i)->as_table();
    if (!table) root.fail(prefix, "expected a table with a name and hyperparameters");
    TableReader reader(*table, prefix, config.source);
    OptimizerEntry entry;
    entry.name = reader.string("name", "", optim::optimizer_names());
    if (entry.name.empty()) reader.fail("name", fmt::format("missing: one of {}", text::join(optim::optimizer_names(), ", ")));
    entry.label = reader.string("label", entry.name);
    entry.hyper = read_params(reader, optim::find_optimizer(entry.name)->params);
    if (entry.name == "sgd" && entry.hyper["nesterov"] != 0.0 && (entry.hyper["momentum"] <= 0.0 || entry.hyper["dampening"] != 0.0)) {
      reader.fail("nesterov", "Nesterov momentum needs momentum > 0 and dampening = 0");
    }
    reader.reject_unknown(fmt::format(" for optimizer '{}'", entry.name));
    // Two entries of one optimizer (an lr sweep, say) get distinct labels by default.
    if (labels.count(entry.label)) {
      if (reader.has("label")) reader.fail("label", fmt::format("'{}' is used by an earlier entry", entry.label));
      entry.label = fmt::format("{}#{}", entry.label, i);
    }
    labels.insert(entry.label);
    config.optimizers.push_back(std::move(entry));
  }
}

// A refined schedule file written by `descent refine`: {"values": [...], ...}.
std::vector<double> read_refined_file(const std::string& path, TableReader& reader) {
  std::ifstream in(path);
  if (!in) reader.fail("file", fmt::format("cannot read '{}'", path));
  try {
    return nlohmann::json::parse(in).at("values").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& error) {
    reader.fail("file", fmt::format("'{}' is not a refined schedule: {}", path, error.what()));
  }
}

ScheduleConfig read_schedule_table(const toml::table& table, const std::string& prefix, const std::string& source) {
  TableReader reader(table, prefix, source);
  ScheduleConfig schedule;
  schedule.kind = reader.string("kind", "constant", schedule::schedule_names());
  schedule.params = read_params(reader, schedule::find_schedule(schedule.kind)->params);
  if (schedule.kind == "multistep") schedule.milestones = reader.integer_list("milestones", {}, 1, false);
  if (schedule.kind == "refined") {
    if (reader.has("file")) {
      schedule.values = read_refined_file(reader.string("file", ""), reader);
    } else {
      const toml::node* node = reader.take("values");
      const toml::array* values = node ? node->as_array() : nullptr;
      if (!values) reader.fail("values", "a refined schedule needs `file` (from descent refine) or a list `values`");
      for (std::size_t i = 0; i < values->size(); ++i) {
        const auto value = values->get(i)->value<double>();
        if (!value) reader.fail("values", fmt::format("entry {} is not a number", i));
        schedule.values.push_back(*value);
      }
    }
  }
  if (schedule.kind == "join") {
    schedule.boundaries = reader.integer_list("boundaries", {}, 1, false);
    const toml::node* node = reader.take("parts");
    const toml::array* parts = node ? node->as_array() : nullptr;
    if (!parts) reader.fail("parts", "join needs a list of [[...parts]] schedule tables");
    for (std::size_t i = 0; i < parts->size(); ++i) {
      const toml::table* part = parts->get(i)->as_table();
      if (!part) reader.fail("parts", fmt::format("entry {} is not a table", i));
      schedule.parts.push_back(read_schedule_table(*part, fmt::format("{}.parts[{}]", prefix, i), source));
    }
  }
  reader.reject_unknown(fmt::format(" for schedule kind '{}'", schedule.kind));
  if (const std::string problem = schedule::check(schedule, 1); !problem.empty()) reader.fail("kind", problem);
  return schedule;
}

void read_schedule(TableReader& root, ScheduleConfig& schedule, const std::string& source) {
  const toml::table* table = root.table("schedule");
  schedule = table ? read_schedule_table(*table, "schedule", source) : schedule::default_spec("constant");
}

void read_hyper_schedules(TableReader& root, StudyConfig& config) {
  const toml::table* table = root.table("schedules");
  if (!table) return;
  for (const auto& [key, node] : *table) {
    const std::string name(key.str());
    const std::string path = "schedules." + name;
    if (name == "lr") throw ConfigError(fmt::format("{}: key '{}': the learning rate follows [schedule]", config.source, path));
    bool known = false;
    std::vector<std::string> candidates;
    for (const auto& entry : config.optimizers) {
      for (const auto& [hyper, value] : entry.hyper) {
        known = known || hyper == name;
        if (hyper != "lr") candidates.push_back(hyper);
      }
    }
    if (!known) {
      throw ConfigError(fmt::format("{}: key '{}': no optimizer entry of this study has a hyperparameter '{}'{}", config.source,
                                    path, name, text::did_you_mean(name, candidates)));
    }
    if (!node.is_table()) throw ConfigError(fmt::format("{}: key '{}': expected a schedule table", config.source, path));
    config.hyper_schedules[name] = read_schedule_table(*node.as_table(), path, config.source);
  }
}

StudyConfig read_config(const toml::table& document, const std::string& source) {
  StudyConfig config;
  config.source = source;
  TableReader root(document, "", source);
  read_study(root, config);
  read_data(root, config.data, source);
  read_model(root, config.model, config.data, source);
  if (config.data.dataset == "text" && config.model.kind != "transformer") {
    throw ConfigError(fmt::format("{}: key 'model.kind': text data (token sequences) needs model.kind = \"transformer\"", source));
  }
  read_train(root, config.train, source);
  read_batch(root, config.batch, source);
  read_diagnostics(root, config.diagnostics, source);
  read_comm(root, config.comm, config.model, source);
  read_tune(root, config.tune, config.data, source);
  if (config.model.kind == "transformer" && (config.diagnostics.gradient_stats_every > 0 || config.batch.policy == "adaptive")) {
    throw ConfigError(fmt::format("{}: key '{}': per-sample gradient statistics are not available for the transformer", source,
                                  config.batch.policy == "adaptive" ? "batch.policy" : "diagnostics.gradient_stats_every"));
  }
  if (config.diagnostics.gradient_stats_every > 0 && config.model.batch_norm) {
    throw ConfigError(fmt::format("{}: key 'diagnostics.gradient_stats_every': per-sample gradients are coupled by batch "
                                  "normalization; drop model.batch_norm or this probe",
                                  source));
  }
  if (config.batch.policy == "adaptive" && config.model.batch_norm) {
    throw ConfigError(fmt::format("{}: key 'batch.policy': the adaptive tests need per-sample gradients, which batch "
                                  "normalization couples across samples; drop model.batch_norm or use another policy",
                                  source));
  }
  read_optimizers(root, config);
  read_schedule(root, config.schedule, source);
  read_hyper_schedules(root, config);
  root.reject_unknown();
  return config;
}

}  // namespace

StudyConfig parse_study_config(std::string_view toml_text, const std::string& source,
                               std::span<const std::string> overrides) {
  toml::table document;
  try {
    document = toml::parse(toml_text, source);
  } catch (const toml::parse_error& error) {
    throw ConfigError(fmt::format("{}:{}:{}: TOML syntax error: {}", source, error.source().begin.line,
                                  error.source().begin.column, error.description()));
  }
  for (const auto& argument : overrides) apply_override(document, parse_override(argument));
  return read_config(document, source);
}

StudyConfig load_study_config(const std::filesystem::path& file, std::span<const std::string> overrides) {
  std::ifstream in(file);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the study file", file.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_study_config(buffer.str(), file.string(), overrides);
}

nlohmann::json schedule_json(const ScheduleConfig& schedule) {
  nlohmann::json out = {{"kind", schedule.kind}, {"params", schedule.params}};
  if (!schedule.milestones.empty()) out["milestones"] = schedule.milestones;
  if (!schedule.values.empty()) out["values"] = schedule.values;
  if (schedule.kind == "join") {
    out["boundaries"] = schedule.boundaries;
    out["parts"] = nlohmann::json::array();
    for (const auto& part : schedule.parts) out["parts"].push_back(schedule_json(part));
  }
  return out;
}

nlohmann::json hyper_schedules_json(const std::map<std::string, ScheduleConfig>& schedules) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, schedule] : schedules) out[name] = schedule_json(schedule);
  return out;
}

nlohmann::json batch_json(const BatchConfig& batch) {
  nlohmann::json out = {{"policy", batch.policy}, {"lr_scaling", batch.lr_scaling}, {"max", batch.max},
                        {"reference", batch.reference}, {"regime_adaptation", batch.regime_adaptation}};
  if (batch.policy == "scheduled") out["schedule"] = schedule_json(batch.schedule);
  if (batch.policy == "adaptive") {
    out.update({{"test", batch.test}, {"threshold", batch.threshold}, {"orthogonality_threshold", batch.orthogonality_threshold},
                {"test_interval", batch.test_interval}, {"test_samples", batch.test_samples}});
  }
  return out;
}

nlohmann::json comm_json(const CommConfig& comm) {
  nlohmann::json out = {{"workers", comm.workers}, {"compressor", comm.compressor.name}, {"feedback", comm.feedback}};
  if (comm.compressor.name == "topk" || comm.compressor.name == "randk") {
    out.update({{"ratio", comm.compressor.ratio}, {"k", comm.compressor.k}});
  }
  if (comm.compressor.name == "qsgd") out["levels"] = comm.compressor.levels;
  if (comm.feedback == "ef21-w") out["smoothness"] = comm.smoothness;
  return out;
}

nlohmann::json to_json(const StudyConfig& config) {
  nlohmann::json optimizers = nlohmann::json::array();
  for (const auto& entry : config.optimizers) {
    optimizers.push_back({{"name", entry.name}, {"label", entry.label}, {"hyper", entry.hyper}});
  }
  const DataConfig& d = config.data;
  nlohmann::json data = {{"dataset", d.dataset}, {"seed", d.seed}, {"validation", d.validation}, {"standardize", d.standardize}};
  if (d.random_labels) data["random_labels"] = true;
  if (d.dataset == "fashion-mnist") {
    data.update({{"dir", d.dir}, {"train_subset", d.train_subset}, {"test_subset", d.test_subset}});
  } else if (d.dataset == "text") {
    data.update({{"path", d.text_path}, {"context", d.context}});
  } else {
    data.update({{"train_size", d.train_size}, {"test_size", d.test_size}, {"features", d.features}});
    if (d.dataset == "gaussian-mixture") {
      data.update({{"classes", d.classes}, {"separation", d.separation}});
    } else {
      data["noise"] = d.noise;
    }
  }
  nlohmann::json out = {
      {"study", {{"name", config.name}, {"seeds", config.seeds}}},
      {"data", data},
      {"model",
       {{"kind", config.model.kind},
        {"hidden", config.model.hidden},
        {"activation", config.model.activation},
        {"batch_norm", config.model.batch_norm},
        {"ghost_batch", config.model.ghost_batch}}},
      {"train",
       {{"epochs", config.train.epochs},
        {"batch_size", config.train.batch_size},
        {"max_steps", config.train.max_steps},
        {"log_every", config.train.log_every},
        {"threads", config.train.threads},
        {"eval_every_samples", config.train.eval_every_samples}}},
      {"optimizers", optimizers},
      {"schedule", schedule_json(config.schedule)},
      {"batch", batch_json(config.batch)},
      {"schedules", hyper_schedules_json(config.hyper_schedules)},
      {"diagnostics",
       {{"sharpness_every", config.diagnostics.sharpness_every},
        {"hessian_samples", config.diagnostics.hessian_samples},
        {"lanczos_iterations", config.diagnostics.lanczos_iterations},
        {"trace_samples", config.diagnostics.trace_samples},
        {"gradient_stats_every", config.diagnostics.gradient_stats_every},
        {"gradient_samples", config.diagnostics.gradient_samples},
        {"layer_norms", config.diagnostics.layer_norms}}},
  };
  if (config.diagnostics.example_losses_every > 0) {
    out["diagnostics"].update({{"example_losses_every", config.diagnostics.example_losses_every},
                               {"example_losses_samples", config.diagnostics.example_losses_samples},
                               {"spike_threshold", config.diagnostics.spike_threshold},
                               {"spike_top", config.diagnostics.spike_top}});
  }
  // New keys appear only where they are used, so that earlier studies keep their run keys.
  if (config.model.kind == "transformer") {
    out["model"].update({{"width", config.model.width}, {"heads", config.model.heads}, {"layers", config.model.layers},
                         {"qk_layernorm", config.model.qk_layernorm}});
  }
  if (config.train.z_loss > 0) out["train"]["z_loss"] = config.train.z_loss;
  // Single-worker runs leave [comm] out, so their run keys stay those of studies written before it.
  if (config.comm.data_parallel()) out["comm"] = comm_json(config.comm);
  return out;
}

namespace {

// A JSON scalar or array of scalars as TOML (integers stay integers, floats keep a point).
std::string toml_value(const nlohmann::json& value) {
  if (value.is_string()) return nlohmann::json(value.get<std::string>()).dump();  // JSON string escapes are valid TOML
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) {
    std::string text = fmt::format("{:.17g}", value.get<double>());
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    return text;
  }
  std::vector<std::string> items;
  for (const auto& item : value) items.push_back(toml_value(item));
  return "[" + text::join(items, ", ") + "]";
}

std::string toml_table(const std::string& header, const nlohmann::json& table) {
  std::string out = header + "\n";
  for (const auto& [key, value] : table.items()) {
    if (!value.is_object() && !value.is_null()) out += key + " = " + toml_value(value) + "\n";
  }
  return out;
}

}  // namespace

StudyConfig study_config_of_run(const nlohmann::json& run_config, const std::string& source) {
  std::string toml = "[study]\nname = " + toml_value(run_config.at("study").at("name")) + "\n";
  toml += toml_table("[data]", run_config.at("data"));
  toml += toml_table("[model]", run_config.at("model"));
  toml += toml_table("[train]", run_config.at("train"));
  const auto& optimizer = run_config.at("optimizer");
  toml += "[[optimizers]]\nname = " + toml_value(optimizer.at("name")) + "\nlabel = " + toml_value(optimizer.at("label")) + "\n";
  // Hyperparameters are stored as numbers; the catalog says which are flags, choices or integers.
  const auto* entry = optim::find_optimizer(optimizer.at("name").get<std::string>());
  for (const auto& [key, value] : optimizer.at("hyper").items()) {
    const double number = value.get<double>();
    std::string text = toml_value(nlohmann::json(number));
    for (const auto& spec : entry ? entry->params : std::vector<ParamSpec>{}) {
      if (spec.name != key) continue;
      if (spec.kind == ParamKind::boolean) text = number != 0.0 ? "true" : "false";
      if (spec.kind == ParamKind::integer) text = fmt::format("{}", static_cast<std::int64_t>(number));
      if (spec.kind == ParamKind::choice) text = toml_value(spec.choices.at(static_cast<std::size_t>(number)));
    }
    toml += key + " = " + text + "\n";
  }
  return parse_study_config(toml, source);
}

nlohmann::json run_config_json(const StudyConfig& config, std::size_t optimizer_index, std::uint64_t seed) {
  nlohmann::json run = to_json(config);
  run["optimizer"] = run["optimizers"].at(optimizer_index);
  run.erase("optimizers");
  run["seed"] = seed;
  run["study"].erase("seeds");
  return run;
}

std::string run_key(const nlohmann::json& run_config) {
  nlohmann::json identity = run_config;
  identity["train"].erase("threads");
  identity["train"].erase("checkpoint_every");  // how often to save changes no result
  // FNV-1a over the canonical dump: nlohmann's objects are key-sorted, so the dump is stable.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : identity.dump()) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

}  // namespace descent::study
