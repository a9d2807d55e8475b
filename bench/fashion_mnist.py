"""Fashion-MNIST's IDX files for the PyTorch side of the benchmarks (gzip, as Debian ships them)."""
import gzip

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)
