"""examples/pytorch_drop_in.py: a plain PyTorch script with descent's AdamW and torch's OneCycleLR."""
import os
import pathlib
import re
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "pytorch_drop_in.py"


def test_the_drop_in_example_trains_the_fashion_mnist_mlp():
    result = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "1", "--train-limit", "10000"],
                            capture_output=True, text=True, env=os.environ, timeout=300)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"final test accuracy ([0-9.]+)", result.stdout).group(1))
    # An optimizer that does not step stays at chance (0.10); a working one is far above 0.75 after
    # one epoch over 10,000 images.
    assert accuracy > 0.75, result.stdout
