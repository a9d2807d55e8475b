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


GRID_SAMPLE_NET = '''
import torch
import torch.nn.functional as F

class GridSampleNet(torch.nn.Module):
    """Resamples its hidden layer with grid_sample, whose backward LibTorch 1.13 cannot differentiate."""
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(4, 8)
        self.out = torch.nn.Linear(8, 3)

    def forward(self, x):
        h = self.hidden(x).view(-1, 1, 2, 4)
        grid = torch.zeros(h.shape[0], 2, 4, 2)
        return self.out(F.grid_sample(h, grid, align_corners=False).reshape(-1, 8))

torch.jit.script(GridSampleNet()).save("net.pt")
'''


def test_a_module_without_double_backward_is_named_by_the_sharpness_probe(tmp_path):
    (tmp_path / "make_net.py").write_text(GRID_SAMPLE_NET)  # torch.jit.script reads the class's source file
    subprocess.run([sys.executable, "make_net.py"], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "curvature"\nseeds = [0]\n'
        '[data]\ndataset = "gaussian-mixture"\nfeatures = 4\nclasses = 3\ntrain_size = 64\ntest_size = 16\n'
        '[model]\nkind = "torchscript"\npath = "net.pt"\n'
        '[train]\nepochs = 1\nbatch_size = 32\n'
        '[diagnostics]\nsharpness_every = 1\nhessian_samples = 16\nlanczos_iterations = 4\n'
        '[[optimizers]]\nname = "sgd"\nlr = 0.1\n')
    result = subprocess.run([descent_binary(), "study", "study.toml", "--store", "runs.db", "--report-dir", "r"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert "need double backward through the model, and this model cannot provide it" in result.stderr, result.stderr
    assert "grid_sampler_2d_backward" in result.stderr
    assert len(result.stderr) < 2000, result.stderr  # a clear line, not LibTorch's backtrace
