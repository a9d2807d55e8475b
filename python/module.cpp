// descent._C: the Python face of descent's optimizers, schedules and run store. The Python package
// (python/descent/) builds torch.optim.Optimizer subclasses on top of it; nothing here copies a
// tensor: the fused kernels update the parameters' and the state's own memory.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pybind11/stl.h>
#include <torch/extension.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "descent/core/error.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/torch_optimizers.hpp"
#include "descent/schedule/schedule.hpp"
#include "descent/store/store.hpp"

namespace py = pybind11;
using namespace descent;

namespace {

const char* kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::real: return "real";
    case ParamKind::integer: return "integer";
    case ParamKind::boolean: return "boolean";
    case ParamKind::choice: return "choice";
  }
  return "real";
}

py::dict spec_dict(const ParamSpec& spec) {
  py::dict d;
  d["name"] = spec.name;
  d["kind"] = kind_name(spec.kind);
  d["default"] = spec.default_value;
  d["min"] = spec.min;
  d["max"] = spec.max;
  d["min_exclusive"] = spec.min_exclusive;
  d["doc"] = spec.doc;
  d["choices"] = spec.choices;
  return d;
}

py::list spec_list(const std::vector<ParamSpec>& specs) {
  py::list params;
  for (const auto& spec : specs) params.append(spec_dict(spec));
  return params;
}

py::list optimizer_catalog() {
  py::list out;
  for (const auto& description : optim::catalog()) {
    py::dict d;
    d["name"] = description.name;
    d["summary"] = description.summary;
    d["paper"] = description.paper;
    d["adaptive"] = description.adaptive;
    d["params"] = spec_list(description.params);
    out.append(d);
  }
  return out;
}

py::list schedule_catalog() {
  py::list out;
  for (const auto& info : schedule::catalog()) {
    py::dict d;
    d["name"] = info.name;
    d["summary"] = info.summary;
    d["params"] = spec_list(info.params);
    out.append(d);
  }
  return out;
}

// One parameter group as the Python side hands it over: tensors, their names, hyperparameters.
struct GroupArgs {
  std::vector<torch::Tensor> params;
  std::vector<std::string> names;
  ParamValues hyper;
};

std::unique_ptr<optim::Optimizer> make_fused(const std::string& name, const std::vector<GroupArgs>& groups, int threads) {
  std::vector<optim::ParamGroup> param_groups;
  for (const auto& group : groups) param_groups.push_back({group.params, group.names, group.hyper});
  optim::FusedOptions options;
  options.threads = threads;
  return std::make_unique<optim::Optimizer>(name, ParamValues{}, std::move(param_groups), options);
}

// The buffer front end (no LibTorch) over one flat parameter: the oracle the Python tests compare
// the torch.optim front end with. Returns the parameter after each of the given gradients.
template <class T>
torch::Tensor buffer_trajectory_typed(const std::string& name, const ParamValues& hyper, const torch::Tensor& start,
                                      const torch::Tensor& gradients, const std::vector<double>& losses) {
  std::vector<T> x(start.data_ptr<T>(), start.data_ptr<T>() + start.numel());
  optim::BufferOptimizer<T> optimizer(name, hyper, {std::span<T>(x)}, optim::FusedOptions{.threads = 1});
  torch::Tensor path = torch::empty({gradients.size(0), start.numel()}, start.options());
  for (std::int64_t t = 0; t < gradients.size(0); ++t) {
    const torch::Tensor g = gradients[t].contiguous();
    const std::optional<double> loss = losses.empty() ? std::nullopt : std::optional<double>(losses.at(static_cast<std::size_t>(t)));
    optimizer.step({std::span<const T>(g.data_ptr<T>(), static_cast<std::size_t>(g.numel()))}, loss);
    std::copy(x.begin(), x.end(), path[t].data_ptr<T>());
  }
  return path;
}

torch::Tensor buffer_trajectory(const std::string& name, const ParamValues& hyper, const torch::Tensor& start,
                                const torch::Tensor& gradients, const std::vector<double>& losses) {
  const torch::Tensor x0 = start.contiguous().reshape(-1);
  const torch::Tensor grads = gradients.to(x0.scalar_type()).contiguous().reshape({gradients.size(0), -1});
  if (x0.scalar_type() == torch::kFloat64) return buffer_trajectory_typed<double>(name, hyper, x0, grads, losses);
  return buffer_trajectory_typed<float>(name, hyper, x0.to(torch::kFloat32), grads.to(torch::kFloat32), losses);
}

// A schedule of one kind, validated as a study file's [schedule] table is: the kind, its keys, and
// check() (milestones for multistep, values for refined).
schedule::Schedule make_schedule(const std::string& kind, const ParamValues& params, std::int64_t total_steps,
                                 const std::vector<std::int64_t>& milestones, const std::vector<double>& values) {
  const schedule::ScheduleInfo* info = schedule::find_schedule(kind);
  if (!info || kind == "join") {
    throw ConfigError(fmt::format("unknown schedule '{}' (kinds: {})", kind, fmt::join(schedule::schedule_names(), ", ")));
  }
  if (total_steps < 1) throw ConfigError(fmt::format("total_steps must be at least 1, got {}", total_steps));
  schedule::ScheduleSpec spec = schedule::default_spec(kind);
  for (const auto& [key, value] : params) {
    const auto known = std::find_if(info->params.begin(), info->params.end(), [&](const ParamSpec& p) { return p.name == key; });
    if (known == info->params.end()) throw ConfigError(fmt::format("schedule '{}' has no parameter '{}'", kind, key));
    if (!in_range(*known, value)) {
      throw ConfigError(fmt::format("schedule '{}': {} = {} is out of range: must be {}", kind, key, value, describe_range(*known)));
    }
    spec.params[key] = value;
  }
  spec.milestones = milestones;
  spec.values = values;
  if (const std::string problem = schedule::check(spec, total_steps); !problem.empty()) {
    throw ConfigError(fmt::format("schedule '{}': {}", kind, problem));
  }
  return schedule::Schedule(std::move(spec), total_steps);
}

py::dict run_dict(const store::RunRecord& run) {
  py::dict d;
  d["id"] = run.id;
  d["study_id"] = run.study_id;
  d["key"] = run.run_key;
  d["label"] = run.label;
  d["seed"] = run.seed;
  d["status"] = store::to_string(run.status);
  d["diverged_step"] = run.diverged_step ? py::cast(*run.diverged_step) : py::none();
  d["message"] = run.message;
  d["config"] = run.config_json;
  d["started_at"] = run.started_at;
  d["finished_at"] = run.finished_at;
  d["host"] = run.host;
  d["git_revision"] = run.git_revision;
  d["descent_version"] = run.descent_version;
  return d;
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "descent's fused optimizers, schedules and run store (the C++ core of the descent package)";
  // descent's errors carry an exit code for the CLI; in Python, a config mistake is a ValueError.
  // pybind11 tries translators newest first: the derived ConfigError goes after its base.
  py::register_exception<Error>(m, "Error", PyExc_RuntimeError);
  py::register_exception<ConfigError>(m, "ConfigError", PyExc_ValueError);

  m.def("optimizer_catalog", &optimizer_catalog, "Every optimizer's description: name, summary, paper, hyperparameters.");
  m.def("schedule_catalog", &schedule_catalog, "Every schedule kind with its parameters.");

  py::class_<GroupArgs>(m, "GroupArgs")
      .def(py::init<std::vector<torch::Tensor>, std::vector<std::string>, ParamValues>(), py::arg("params"),
           py::arg("names"), py::arg("hyper"));

  py::class_<optim::Optimizer>(m, "FusedOptimizer")
      .def(py::init(&make_fused), py::arg("name"), py::arg("groups"), py::arg("threads") = 1)
      .def("step", &optim::Optimizer::step, py::arg("loss") = py::none(),
           py::call_guard<py::gil_scoped_release>())
      .def("set_hyperparameters", &optim::Optimizer::set_hyperparameters, py::arg("group"), py::arg("values"))
      .def("hyperparameters", &optim::Optimizer::hyperparameters, py::arg("group"))
      .def("parameter_state", &optim::Optimizer::parameter_state, py::arg("group"), py::arg("index"))
      .def("group_scalars", &optim::Optimizer::group_scalars, py::arg("group"))
      .def("load_group_scalars", &optim::Optimizer::load_group_scalars, py::arg("group"), py::arg("values"))
      .def_property("steps_taken", &optim::Optimizer::steps_taken, &optim::Optimizer::set_steps_taken);

  m.def("buffer_trajectory", &buffer_trajectory, py::arg("name"), py::arg("hyper"), py::arg("start"),
        py::arg("gradients"), py::arg("losses") = std::vector<double>{},
        "The parameter after each gradient, stepped by descent's buffer front end (no LibTorch in the loop).");

  py::class_<schedule::Schedule>(m, "Schedule")
      .def(py::init(&make_schedule), py::arg("kind"), py::arg("params"), py::arg("total_steps"),
           py::arg("milestones") = std::vector<std::int64_t>{}, py::arg("values") = std::vector<double>{})
      .def("factor", &schedule::Schedule::factor, py::arg("step"));

  py::class_<store::Store>(m, "Store")
      .def(py::init([](const std::string& path) { return std::make_unique<store::Store>(path, store::Access::read_only); }),
           py::arg("path"))
      .def("studies",
           [](store::Store& s) {
             py::list out;
             for (const auto& study : s.studies()) {
               py::dict d;
               d["id"] = study.id;
               d["name"] = study.name;
               d["config"] = study.config_json;
               d["created_at"] = study.created_at;
               d["updated_at"] = study.updated_at;
               out.append(d);
             }
             return out;
           })
      .def("runs",
           [](store::Store& s, std::int64_t study_id) {
             py::list out;
             for (const auto& run : s.runs(study_id)) out.append(run_dict(run));
             return out;
           },
           py::arg("study_id"))
      .def("summary", &store::Store::summary, py::arg("run_id"))
      .def("metrics",
           [](store::Store& s, std::int64_t run_id) {
             std::vector<std::int64_t> steps;
             std::vector<std::string> names;
             std::vector<double> values;
             for (const auto& row : s.metrics(run_id)) {
               steps.push_back(row.step);
               names.push_back(row.name);
               values.push_back(row.value);
             }
             return py::make_tuple(steps, names, values);
           },
           py::arg("run_id"));
}
