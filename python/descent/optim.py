"""descent's fused optimizers as torch.optim.Optimizer subclasses.

One class per optimizer in descent's registry, generated from its description: the same names,
defaults and ranges as in study files (`descent list optimizers`). Each is a real
torch.optim.Optimizer: parameter groups with their own hyperparameters, step(closure),
zero_grad(), state_dict()/load_state_dict() (resuming bit for bit), add_param_group(), and
torch.optim.lr_scheduler drives it unchanged. The step runs descent's fused C++ kernel in place on
the parameters' and the state's memory.

Optimizers with beta1 and beta2 take torch's `betas=(beta1, beta2)` and keep `betas` in their
param_groups, so schedulers that cycle momentum (OneCycleLR, CyclicLR) work as with torch.optim.Adam.
Booleans are True/False; choices are their names.
"""
import torch

from . import _C

_CATALOG = {entry["name"]: entry for entry in _C.optimizer_catalog()}

# Class names: torch's own for the optimizers torch has, the papers' for the rest.
_CLASS_NAMES = {
    "adabelief": "AdaBelief", "adadelta": "Adadelta", "adagrad": "Adagrad", "adagrad_norm": "AdaGradNorm",
    "adam": "Adam", "adamw": "AdamW", "amsgrad": "AMSGrad", "diffgrad": "DiffGrad", "exadam": "EXAdam",
    "lamb": "Lamb", "lion": "Lion", "lion_l2": "LionL2", "loss_normalized_gd": "LossNormalizedGD",
    "normalized_gd": "NormalizedGD", "rmsprop": "RMSprop", "sgd": "SGD", "sign_sgd": "SignSGD",
}


def _class_name(name):
    return _CLASS_NAMES.get(name) or "".join(part.capitalize() for part in name.split("_"))


def _python_default(spec):
    if spec["kind"] == "boolean":
        return bool(spec["default"])
    if spec["kind"] == "choice":
        return spec["choices"][int(spec["default"])]
    if spec["kind"] == "integer":
        return int(spec["default"])
    return spec["default"]


def _as_number(optimizer, spec, value):
    """A hyperparameter as descent's C++ core takes it: a float (booleans 0/1, choices by index)."""
    if spec["kind"] == "choice" and isinstance(value, str):
        if value not in spec["choices"]:
            raise ValueError(f"{optimizer}: {spec['name']} = {value!r} is not one of {spec['choices']}")
        return float(spec["choices"].index(value))
    if isinstance(value, torch.Tensor):
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{optimizer}: {spec['name']} = {value!r} is not a number") from None


class DescentOptimizer(torch.optim.Optimizer):
    """The common base of the generated classes; `descent_name` names the registry entry."""

    descent_name = ""

    def __init__(self, params, threads=1, **hyperparameters):
        entry = _CATALOG[self.descent_name]
        self._specs = {spec["name"]: spec for spec in entry["params"]}
        self._paired_betas = "beta1" in self._specs and "beta2" in self._specs
        defaults = {}
        for name, spec in self._specs.items():
            if not (self._paired_betas and name in ("beta1", "beta2")):
                defaults[name] = _python_default(spec)
        if self._paired_betas:
            defaults["betas"] = (self._specs["beta1"]["default"], self._specs["beta2"]["default"])
        for name, value in hyperparameters.items():
            if name not in defaults:
                raise TypeError(f"{type(self).__name__}: unknown hyperparameter {name!r} (known: {', '.join(defaults)})")
            defaults[name] = value
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"{type(self).__name__}: threads must be a positive integer, got {threads!r}")
        self._threads = threads
        self._fused = None
        super().__init__(params, defaults)
        self._fused_core()  # refuses bad values and parameters now, not at the first step

    # -- hyperparameters ---------------------------------------------------------------------
    def _numbers(self, group):
        """One group's hyperparameters as the C++ core takes them."""
        numbers = {}
        for name, spec in self._specs.items():
            if self._paired_betas and name in ("beta1", "beta2"):
                betas = group["betas"]
                if len(betas) != 2:
                    raise ValueError(f"{type(self).__name__}: betas must be a pair, got {betas!r}")
                value = betas[0] if name == "beta1" else betas[1]
            else:
                value = group[name]
            numbers[name] = _as_number(type(self).__name__, spec, value)
        return numbers

    # -- the fused core ----------------------------------------------------------------------
    def _build(self):
        groups = []
        for g, group in enumerate(self.param_groups):
            params = list(group["params"])
            if not params:
                raise ValueError(f"{type(self).__name__}: parameter group {g} is empty")
            names = [f"group{g}.{i}" for i in range(len(params))]
            groups.append(_C.GroupArgs(params, names, self._numbers(group)))
        self._fused = _C.FusedOptimizer(self.descent_name, groups, self._threads)

    def _fused_core(self):
        if self._fused is None:
            self._build()
            self._alias_state()
        return self._fused

    def _alias_state(self):
        """optimizer.state[p] holds the core's own state tensors (no copies), 'step' and, on each
        group's first parameter, the group's scalar state (AdaGrad-Norm's b squared)."""
        step = torch.tensor(float(self._fused.steps_taken))
        for g, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                state = dict(self._fused.parameter_state(g, i))
                state["step"] = step
                self.state[p] = state
            scalars = self._fused.group_scalars(g)
            if scalars:
                self.state[group["params"][0]]["group_scalars"] = list(scalars)

    def add_param_group(self, param_group):
        carried = None
        if getattr(self, "_fused", None) is not None:
            carried = self._collect_state()
        super().add_param_group(param_group)
        if carried is not None:  # rebuild over the new layout; the earlier groups keep their state
            self._build()
            self._restore_state(carried)
            self._alias_state()

    # -- the step ----------------------------------------------------------------------------
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        fused = self._fused_core()
        for g, group in enumerate(self.param_groups):
            fused.set_hyperparameters(g, self._numbers(group))
        fused.step(None if loss is None else float(loss))  # the loss matters to loss-normalized GD only
        return loss

    # -- state -------------------------------------------------------------------------------
    def _collect_state(self):
        """{param: {slot: tensor, 'step': n, 'group_scalars': [...]}} read from the core."""
        collected = {}
        for g, group in enumerate(self.param_groups):
            scalars = self._fused.group_scalars(g)
            for i, p in enumerate(group["params"]):
                state = {slot: tensor.clone() for slot, tensor in self._fused.parameter_state(g, i)}
                state["step"] = self._fused.steps_taken
                if i == 0 and scalars:
                    state["group_scalars"] = list(scalars)
                collected[p] = state
        return collected

    def _restore_state(self, states):
        """Writes saved state into the core's memory, in place; parameters absent from `states`
        (a new group) keep their initial state."""
        steps = None
        for g, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                saved = states.get(p)
                if not saved:
                    continue
                for slot, tensor in self._fused.parameter_state(g, i):
                    if slot not in saved:
                        raise ValueError(f"{type(self).__name__}: state of parameter {i} of group {g} has no {slot!r}")
                    value = saved[slot]
                    if tuple(value.shape) != tuple(tensor.shape):
                        raise ValueError(f"{type(self).__name__}: state {slot!r} of parameter {i} of group {g} has shape "
                                         f"{tuple(value.shape)}, the parameter {tuple(tensor.shape)}")
                    tensor.copy_(value)
                if i == 0 and "group_scalars" in saved:
                    self._fused.load_group_scalars(g, [float(v) for v in saved["group_scalars"]])
                if "step" in saved:
                    steps = int(saved["step"].item() if isinstance(saved["step"], torch.Tensor) else saved["step"])
        if steps is not None:
            self._fused.steps_taken = steps

    def state_dict(self):
        self._fused_core()
        self._alias_state()  # the step count and group scalars as of now
        return super().state_dict()

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)  # torch checks the groups and maps the state to our params
        loaded = {p: self.state[p] for group in self.param_groups for p in group["params"] if p in self.state}
        self._build()
        with torch.no_grad():
            self._restore_state(loaded)
        self._alias_state()

    def __repr__(self):
        return super().__repr__().replace(type(self).__name__, f"{type(self).__name__} (descent '{self.descent_name}')", 1)


def _make_class(entry):
    name = entry["name"]
    doc_lines = [f"{entry['summary']}", "", f"Paper: {entry['paper']}", "", "Hyperparameters (descent's registry):"]
    for spec in entry["params"]:
        doc_lines.append(f"    {spec['name']} = {_python_default(spec)!r}: {spec['doc']}")
    return type(_class_name(name), (DescentOptimizer,), {"descent_name": name, "__doc__": "\n".join(doc_lines),
                                                          "__module__": __name__})


_classes = {entry["name"]: _make_class(entry) for entry in _CATALOG.values()}
globals().update({cls.__name__: cls for cls in _classes.values()})
__all__ = ["DescentOptimizer", "by_name", "names"] + sorted(cls.__name__ for cls in _classes.values())


def names():
    """The registry's optimizer names, as study files spell them."""
    return sorted(_classes)


def by_name(name):
    """The class of the optimizer a study file calls `name` ("adamw", "diffgrad", ...)."""
    if name not in _classes:
        raise ValueError(f"unknown optimizer {name!r} (known: {', '.join(sorted(_classes))})")
    return _classes[name]
