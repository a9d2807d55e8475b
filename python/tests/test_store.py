"""descent.store: a study trained by the descent program, read back from Python."""
import os
import subprocess
import sys

import numpy as np
import pytest

import descent
from conftest import run_study

STUDY = """
[study]
name = "python-store"
seeds = [0, 1]
[data]
dataset = "gaussian-mixture"
train_size = 256
[model]
hidden = [8]
[train]
epochs = 2
batch_size = 32
[[optimizers]]
name = "sgd"
lr = 0.1
[[optimizers]]
name = "adam"
lr = 0.01
"""


def test_runs_and_metrics_of_a_real_study(tmp_path):
    run_study(tmp_path, STUDY)
    store_path = tmp_path / "runs.db"
    with descent.store.open(store_path) as store:
        assert [s["name"] for s in store.studies()] == ["python-store"]
        runs = store.runs("python-store")
        assert sorted((r["label"], r["seed"]) for r in runs) == [("adam", 0), ("adam", 1), ("sgd", 0), ("sgd", 1)]
        for run in runs:
            assert run["status"] == "finished"
            assert run["config"]["optimizer"]["name"] == run["label"] and run["config"]["seed"] == run["seed"]
            steps, losses = store.metric(run["id"], "train_loss")
            assert steps.dtype == np.int64 and np.all(np.diff(steps) > 0) and np.all(np.isfinite(losses))
            accuracy_steps, accuracy = store.metric(run["id"], "test_accuracy")
            assert accuracy[-1] == pytest.approx(run["summary"]["final_test_accuracy"])


def test_a_missing_store_is_an_error_naming_it(tmp_path):
    with pytest.raises(RuntimeError, match="nowhere.db"):
        descent.store.open(tmp_path / "nowhere.db")
    assert not (tmp_path / "nowhere.db").exists()


def test_the_installed_package_imports_from_usr_bin_python3():
    """What a user gets after `make test` or `make python`: /usr/bin/python3 finds the package."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(["/usr/bin/python3", "-c", "import descent, sys; print(descent.__file__); "
                             "print(len(descent.optim.names()))"],
                            cwd="/", env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\n(install it with `make python`)"
    assert int(result.stdout.split()[-1]) == len(descent.optim.names())
