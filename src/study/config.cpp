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
#include "descent/core/hash.hpp"
#include "descent/core/text.hpp"
#include "descent/models/catalog.hpp"
#include "descent/optim/description.hpp"
#include "descent/schedule/schedule.hpp"
#include "descent/study/overrides.hpp"
#include "config_fields.hpp"
#include "table_reader.hpp"

namespace descent::study {
namespace {

void read_study(TableReader& root, StudyConfig& config) {
  const toml::table* table = root.table("study");
  if (!table) root.fail("study", "missing: the [study] table with a name is required");
  TableReader study(*table, "study", config.source);
  config.name = study.string("name", "");
  if (config.name.empty()) study.fail("name", "missing or empty: every study needs a name");
  // The name names the report's folder and the store's row: a file name's rules, checked before any
  // work (a name that cannot be a folder used to fail at the report, after training every run).
  constexpr std::size_t kLongestName = 200;
  if (config.name.size() > kLongestName) {
    study.fail("name", fmt::format("{} characters; at most {}", config.name.size(), kLongestName));
  }
  if (config.name.find_first_of("/\\") != std::string::npos) study.fail("name", "must not contain '/' or '\\'");
  if (config.name == "." || config.name == "..") study.fail("name", fmt::format("'{}' is not a folder name", config.name));
  if (std::any_of(config.name.begin(), config.name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    study.fail("name", "must not contain control characters (NUL, newline, tab, ...)");
  }
  const auto seeds = study.integer_list("seeds", {0}, 0, false);
  config.seeds.assign(seeds.begin(), seeds.end());
  if (std::set<std::uint64_t>(config.seeds.begin(), config.seeds.end()).size() != config.seeds.size()) {
    study.fail("seeds", "seeds repeat");
  }
  study.reject_unknown();
}

// The hash of the file a key names: what the run key holds for the file, besides its path.
std::string contents_hash(TableReader& reader, const char* key, const std::string& path) {
  try {
    return file_fnv1a(path);
  } catch (const DataError& error) {
    reader.fail(key, error.what());
  }
}

void read_data(TableReader& root, data::DataOptions& options, const std::string& source) {
  const toml::table* table = root.table("data");
  if (!table) return;
  TableReader reader(*table, "data", source);
  TomlFields fields(reader, source);
  describe(options, fields, data::dataset_names());
  const bool files = options.dataset == "arrays" || options.dataset == "csv";
  if (options.dataset != "text" && !files &&
      options.validation >= (options.dataset == "fashion-mnist" ? (options.train_subset ? options.train_subset : 60000) : options.train_size)) {
    reader.fail("validation", fmt::format("{} samples would leave nothing to train on", options.validation));
  }
  if (files) {
    const std::string what = options.dataset == "arrays" ? ".npz files (numpy.savez) with a features and a targets array"
                                                         : "CSV files with a header row";
    for (const auto& [key, path] : {std::pair{"train", options.train_path}, std::pair{"test", options.test_path}}) {
      if (path.empty()) reader.fail(key, fmt::format("dataset '{}' needs data.train and data.test: {}", options.dataset, what));
    }
    options.train_hash = contents_hash(reader, "train", options.train_path);
    options.test_hash = contents_hash(reader, "test", options.test_path);
  }
  if (options.dataset == "csv" && options.target_column.empty()) {
    reader.fail("target", "dataset 'csv' needs data.target: the name of the target column");
  }
  reader.reject_unknown(fmt::format(" for dataset '{}'", options.dataset));
}

void read_model(TableReader& root, models::ModelOptions& model, const data::DataOptions& data, const std::string& source) {
  const toml::table* table = root.table("model");
  if (!table) return;
  TableReader reader(*table, "model", source);
  TomlFields fields(reader, source);
  describe(model, fields, models::names(), models::activations());
  if (model.ghost_batch > 0 && !model.batch_norm) reader.fail("ghost_batch", "needs model.batch_norm = true");
  if (model.kind == "torchscript" && model.path.empty()) {
    reader.fail("path", "kind 'torchscript' needs model.path: a module saved by torch.jit.script(model).save(path)");
  }
  if (model.kind == "torchscript") model.path_hash = contents_hash(reader, "path", model.path);
  if (model.kind == "cnn" && data.dataset != "fashion-mnist" && data.dataset != "arrays") {
    reader.fail("kind", fmt::format("the cnn needs image data; dataset '{}' has flat features", data.dataset));
  }
  if (model.kind == "transformer" && data.dataset != "text") {
    reader.fail("kind", fmt::format("the transformer needs text data; dataset '{}' is not", data.dataset));
  }
  if (model.kind == "transformer" && model.width % model.heads != 0) {
    reader.fail("heads", fmt::format("{} heads do not divide the width {}", model.heads, model.width));
  }
  reader.reject_unknown(fmt::format(" for model kind '{}'", model.kind));
}

void read_train(TableReader& root, train::TrainOptions& train, const std::string& source) {
  const toml::table* table = root.table("train");
  if (!table) return;
  TableReader reader(*table, "train", source);
  TomlFields fields(reader, source);
  describe(train, fields);
  reader.reject_unknown();
}

void read_batch(TableReader& root, batch::BatchOptions& options, const std::string& source) {
  const toml::table* table = root.table("batch");
  if (!table) return;
  TableReader reader(*table, "batch", source);
  TomlFields fields(reader, source);
  describe(options, fields);
  reader.reject_unknown(fmt::format(" for batch policy '{}'", name_of(options.policy, batch::kBatchPolicies)));
}

void read_diagnostics(TableReader& root, diag::DiagnosticsOptions& diagnostics, const std::string& source) {
  const toml::table* table = root.table("diagnostics");
  if (!table) return;
  TableReader reader(*table, "diagnostics", source);
  TomlFields fields(reader, source);
  describe(diagnostics, fields);
  reader.reject_unknown();
}

void read_comm(TableReader& root, comm::CommOptions& options, const models::ModelOptions& model, const std::string& source) {
  const toml::table* table = root.table("comm");
  if (!table) return;
  TableReader reader(*table, "comm", source);
  TomlFields fields(reader, source);
  describe(options, fields, comm::compressor_names());
  reader.reject_unknown(fmt::format(" for compressor '{}' and feedback '{}'", options.compressor.name, name_of(options.feedback, comm::kFeedbacks)));
  if (options.workers > 0 && !options.smoothness.empty() && options.smoothness.size() != static_cast<std::size_t>(options.workers)) {
    reader.fail("smoothness", fmt::format("{} values for {} workers", options.smoothness.size(), options.workers));
  }
  if (model.batch_norm && options.workers != 1) {
    reader.fail("workers", "data-parallel workers would keep different batch-norm running statistics; drop model.batch_norm");
  }
}

// Summary values a run records that a tuning objective may name.
const std::vector<std::string>& objective_names() {
  static const std::vector<std::string> names = {"final_val_loss", "final_val_accuracy", "best_val_accuracy", "final_test_loss",
                                                 "final_test_accuracy", "best_test_accuracy"};
  return names;
}

void read_tune(TableReader& root, tune::TuneOptions& options, const data::DataOptions& data, const std::string& source) {
  const toml::table* table = root.table("tune");
  if (!table) return;
  TableReader reader(*table, "tune", source);
  options.trials = reader.integer("trials", 20, 1, 100000);
  options.objective = reader.string("objective", options.objective, objective_names());
  options.direction = reader.choice("direction",
                                 options.objective.find("accuracy") != std::string::npos ? tune::Direction::maximize : tune::Direction::minimize,
                                 tune::kDirections);
  options.sampler = reader.choice("sampler", options.sampler, tune::kSamplers);
  if (options.sampler == tune::SamplerKind::gp) {
    options.acquisition = reader.choice("acquisition", options.acquisition, tune::kAcquisitions);
    options.kernel = reader.choice("kernel", options.kernel, tune::kKernels);
    options.initial_trials = reader.integer("initial_trials", options.initial_trials, 0, 100000);
    if (options.acquisition == tune::AcquisitionKind::ucb) options.ucb_beta = reader.param({"ucb_beta", ParamKind::real, options.ucb_beta, 0.0, 1e6, true, "", {}});
  }
  if (options.sampler == tune::SamplerKind::grid) options.grid_levels = reader.integer("grid_levels", options.grid_levels, 1, 1000);
  options.pruner = reader.choice("pruner", options.pruner, tune::kPruners);
  if (options.pruner != tune::PrunerKind::none) {
    options.report = reader.string("report", options.report, {"val_loss", "val_accuracy", "test_loss", "test_accuracy"});
  }
  if (options.pruner == tune::PrunerKind::median) {
    options.startup_trials = reader.integer("startup_trials", options.startup_trials, 0);
    options.warmup_steps = reader.integer("warmup_steps", options.warmup_steps, 0);
  }
  if (options.pruner == tune::PrunerKind::asha) {
    options.min_resource = reader.integer("min_resource", options.min_resource, 1);
    options.reduction_factor = reader.integer("reduction_factor", options.reduction_factor, 2, 100);
  }
  options.thresholdout = reader.boolean("thresholdout", false);
  if (options.thresholdout) {
    options.threshold = reader.param({"threshold", ParamKind::real, options.threshold, 0.0, 1e6, true, "", {}});
    options.sigma = reader.param({"sigma", ParamKind::real, options.sigma, 0.0, 1e6, true, "", {}});
    options.budget = reader.integer("budget", options.budget, 1, 1000000);
  }
  options.seed = static_cast<std::uint64_t>(reader.integer("seed", 0, 0));
  const toml::node* params = reader.take("params");
  if (!params || !params->as_array() || params->as_array()->empty()) {
    reader.fail("params", "missing: add at least one [[options.params]] table with a name, type and range or choices");
  }
  std::set<std::string> names;
  const toml::array& array = *params->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string prefix = fmt::format("options.params[{}]", i);
    const toml::table* entry = array.get(i)->as_table();
    if (!entry) root.fail(prefix, "expected a table with a name, type and range or choices");
    TableReader param_reader(*entry, prefix, source);
    tune::TuneParam param;
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
    options.params.push_back(param);
  }
  reader.reject_unknown(fmt::format(" for sampler '{}' and pruner '{}'", name_of(options.sampler, tune::kSamplers),
                                    name_of(options.pruner, tune::kPruners)));
  if (options.objective.find("val") != std::string::npos && data.validation == 0) {
    reader.fail("objective", fmt::format("'{}' needs a validation split: set data.validation", options.objective));
  }
  if (options.report.find("val") != std::string::npos && options.pruner != tune::PrunerKind::none && data.validation == 0) {
    reader.fail("report", fmt::format("'{}' needs a validation split: set data.validation", options.report));
  }
  if (options.thresholdout && options.objective.find("val") == std::string::npos) {
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
    train::OptimizerEntry entry;
    entry.name = reader.string("name", "", optim::optimizer_names());
    if (entry.name.empty()) reader.fail("name", fmt::format("missing: one of {}", text::join(optim::optimizer_names(), ", ")));
    entry.label = reader.string("label", entry.name);
    const optim::OptimizerDescription& description = optim::describe(entry.name);
    entry.hyper = read_params(reader, description.params);
    if (description.check) {
      if (const auto problem = description.check(entry.hyper)) reader.fail(problem->key, problem->message);
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

}  // namespace

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

namespace {

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
  if (config.train.adversarial && config.data.dataset == "text") {
    throw ConfigError(fmt::format("{}: key 'train.adversarial': attacks perturb continuous inputs; text data is token ids", source));
  }
  read_batch(root, config.batch, source);
  read_diagnostics(root, config.diagnostics, source);
  read_comm(root, config.comm, config.model, source);
  read_tune(root, config.tune, config.data, source);
  if (config.model.kind == "transformer" && (config.diagnostics.gradient_stats_every > 0 || config.batch.policy == batch::BatchPolicy::adaptive)) {
    throw ConfigError(fmt::format("{}: key '{}': per-sample gradient statistics are not available for the transformer", source,
                                  config.batch.policy == batch::BatchPolicy::adaptive ? "batch.policy" : "diagnostics.gradient_stats_every"));
  }
  if (config.diagnostics.gradient_stats_every > 0 && config.model.batch_norm) {
    throw ConfigError(fmt::format("{}: key 'diagnostics.gradient_stats_every': per-sample gradients are coupled by batch "
                                  "normalization; drop model.batch_norm or this probe",
                                  source));
  }
  if (config.batch.policy == batch::BatchPolicy::adaptive && config.model.batch_norm) {
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

}  // namespace descent::study
