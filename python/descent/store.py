"""Read access to a descent run store (runs/descent.db): studies, runs and metrics as plain Python
lists and numpy arrays. The store is opened read-only, so reading never disturbs a running study.

    with descent.store.open("runs/descent.db") as store:
        for run in store.runs("quickstart"):
            steps, values = store.metric(run["id"], "test_accuracy")
"""
import json

import numpy as np

from . import _C


class Store:
    def __init__(self, path):
        self.path = str(path)
        self._core = _C.Store(self.path)

    def studies(self):
        """[{id, name, config (a dict), created_at, updated_at}]"""
        return [dict(study, config=json.loads(study["config"])) for study in self._core.studies()]

    def study(self, name):
        for study in self.studies():
            if study["name"] == name:
                return study
        raise KeyError(f"{self.path}: no study named {name!r} (studies: {', '.join(s['name'] for s in self.studies())})")

    def runs(self, study):
        """Every run of a study (its name or id): {id, label, seed, status, diverged_step, config (a
        dict), summary (final metrics), started_at, finished_at, host, git_revision, ...}."""
        study_id = study if isinstance(study, int) else self.study(study)["id"]
        runs = []
        for run in self._core.runs(study_id):
            run = dict(run, config=json.loads(run["config"]))
            run["summary"] = dict(self._core.summary(run["id"]))
            runs.append(run)
        return runs

    def metrics(self, run_id):
        """{name: (steps, values)} of one run, as numpy arrays in step order."""
        steps, names, values = self._core.metrics(int(run_id))
        steps, values, names = np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=np.float64), np.asarray(names)
        return {name: (steps[names == name], values[names == name]) for name in dict.fromkeys(names.tolist())}

    def metric(self, run_id, name):
        """(steps, values) of one metric of one run."""
        metrics = self.metrics(run_id)
        if name not in metrics:
            raise KeyError(f"run {run_id} has no metric {name!r} (it has: {', '.join(sorted(metrics))})")
        return metrics[name]

    def close(self):
        self._core = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open(path):  # noqa: A001 - mirrors sqlite3.connect / io.open
    """Opens the store at `path` read-only; a missing file or a file that is not a descent store is a
    RuntimeError naming it."""
    return Store(path)
