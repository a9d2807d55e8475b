"""descent's schedule catalog as functions of the step, for torch.optim.lr_scheduler.LambdaLR.

    factor = descent.schedules.schedule("wsd", total_steps=1000, warmup_fraction=0.05)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)

A schedule is the multiplier of the peak learning rate at each 0-based step, the same numbers a
study file's [schedule] table gives (`descent list schedules`).
"""
from . import _C

_CATALOG = {entry["name"]: entry for entry in _C.schedule_catalog() if entry["name"] != "join"}


def names():
    """The schedule kinds (join, which nests schedules, is for study files only)."""
    return sorted(_CATALOG)


def parameters(kind):
    """{name: default} of one kind."""
    if kind not in _CATALOG:
        raise ValueError(f"unknown schedule {kind!r} (known: {', '.join(names())})")
    return {spec["name"]: spec["default"] for spec in _CATALOG[kind]["params"]}


class Schedule:
    """A callable step -> multiplier (LambdaLR's lr_lambda), over `total_steps` steps."""

    def __init__(self, kind, total_steps, milestones=(), values=(), **params):
        self.kind = kind
        self.total_steps = int(total_steps)
        specs = {spec["name"]: spec for spec in _CATALOG[kind]["params"]} if kind in _CATALOG else {}
        numbers = {}
        for name, value in params.items():
            spec = specs.get(name)
            if spec is not None and spec["kind"] == "choice" and isinstance(value, str):
                if value not in spec["choices"]:
                    raise ValueError(f"schedule {kind!r}: {name} = {value!r} is not one of {spec['choices']}")
                value = spec["choices"].index(value)
            numbers[name] = float(value)
        self._core = _C.Schedule(kind, numbers, self.total_steps, [int(m) for m in milestones], [float(v) for v in values])

    def __call__(self, step):
        return self._core.factor(int(step))

    def __repr__(self):
        return f"descent.schedules.Schedule({self.kind!r}, total_steps={self.total_steps})"


def schedule(kind, total_steps, **params):
    """The schedule `kind` over `total_steps` steps; keyword arguments set its parameters
    (multistep takes `milestones=[...]`, refined `values=[...]` as `descent refine` writes them)."""
    return Schedule(kind, total_steps, **params)
