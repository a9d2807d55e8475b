import os
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
