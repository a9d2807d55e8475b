import os
import subprocess
import sys

import pytest
import torch


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    yield


def descent_binary():
    path = os.environ.get("DESCENT_BINARY")
    if not path or not os.path.exists(path):
        pytest.fail("DESCENT_BINARY is not set to the descent program (ctest sets it)")
    return path


def run_study(folder, study_text, *arguments):
    """Writes `study_text` to FOLDER/study.toml and trains it with the descent program (store
    FOLDER/runs.db); returns the completed process."""
    (folder / "study.toml").write_text(study_text)
    return subprocess.run([descent_binary(), "study", "study.toml", "--store", "runs.db", "--report-dir", "reports",
                           *arguments], cwd=folder, check=True, capture_output=True, text=True)
