"""Your own model and data (examples/own_model): a ResNet-style CNN scripted in Python and
Fashion-MNIST written as NumPy arrays, trained by `descent study` with two optimizers."""
import pathlib
import shutil
import subprocess
import sys

import descent
from conftest import descent_binary

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "own_model"


def test_a_scripted_module_trains_on_arrays_in_a_study(tmp_path):
    subprocess.run([sys.executable, str(EXAMPLE / "make_inputs.py"), "--out", "runs/own_model", "--limit", "10000"],
                   cwd=tmp_path, check=True, capture_output=True)
    shutil.copy(EXAMPLE / "study.toml", tmp_path / "study.toml")
    subprocess.run([descent_binary(), "study", "study.toml", "--store", "runs.db", "--report-dir", "reports", "--quiet"],
                   cwd=tmp_path, check=True, capture_output=True)
    with descent.store.open(tmp_path / "runs.db") as store:
        runs = {run["label"]: run for run in store.runs("own-model")}
        assert set(runs) == {"adamw", "diffgrad"}
        for run in runs.values():
            assert run["status"] == "finished"
            assert run["config"]["model"]["kind"] == "torchscript"
            # Chance is 0.10. 79 steps of batch 128 take a working optimizer far past 0.3; an eval
            # mode that ignored the module's batch norm state, or parameters the optimizer never
            # reached, would stay near chance.
            assert run["summary"]["final_test_accuracy"] > 0.3, run["summary"]


def test_a_file_that_is_not_a_module_is_refused_naming_it(tmp_path):
    (tmp_path / "net.pt").write_bytes(b"not a module")
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "bad"\nseeds = [0]\n[data]\ndataset = "gaussian-mixture"\ntrain_size = 64\n'
        '[model]\nkind = "torchscript"\npath = "net.pt"\n[[optimizers]]\nname = "sgd"\nlr = 0.1\n')
    result = subprocess.run([descent_binary(), "study", "study.toml", "--store", "runs.db", "--report-dir", "r"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert "net.pt: not a TorchScript module" in result.stderr
    assert len(result.stderr) < 2000  # one clear line, not LibTorch's backtrace
