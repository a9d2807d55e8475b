#!/usr/bin/python3
"""Writes the inputs of examples/own_model/study.toml: a small ResNet-style CNN scripted with
TorchScript (net.pt) and Fashion-MNIST as NumPy arrays (train.npz, test.npz), the way a user
brings their own model and data to descent.

    /usr/bin/python3 examples/own_model/make_inputs.py [--out runs/own_model] [--limit N]
    build/descent study examples/own_model/study.toml
"""
import argparse
import gzip
import pathlib

import numpy as np
import torch

DATA = pathlib.Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist


class Block(torch.nn.Module):
    """conv-bn-relu-conv-bn plus the input: a residual block (He et al., 2016) at constant width."""

    def __init__(self, width):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(width)
        self.conv2 = torch.nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(width)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class SmallResNet(torch.nn.Module):
    """28x28 -> stem conv 16 -> block -> stride-2 conv 32 -> block -> global average -> 10 logits."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.block1 = Block(16)
        self.down = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.block2 = Block(32)
        self.head = torch.nn.Linear(32, classes)

    def forward(self, x):
        x = self.block1(torch.relu(self.stem(x)))
        x = self.block2(torch.relu(self.down(x)))
        return self.head(x.mean(dim=(2, 3)))


def read_idx(path):
    with gzip.open(path, "rb") as file:
        data = file.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def write_split(out, name, prefix, limit):
    images = read_idx(DATA / f"{prefix}-images-idx3-ubyte.gz")[:limit]
    labels = read_idx(DATA / f"{prefix}-labels-idx1-ubyte.gz")[:limit]
    # float32 in [0, 1], one channel: the shape the module takes, {N, 1, 28, 28}.
    features = (images.astype(np.float32) / 255.0)[:, None, :, :]
    np.savez(out / f"{name}.npz", features=features, targets=labels.astype(np.int64))
    return len(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/own_model")
    parser.add_argument("--limit", type=int, default=None, help="keep the first N images of each split")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.jit.script(SmallResNet()).save(str(out / "net.pt"))
    n_train = write_split(out, "train", "train", args.limit)
    n_test = write_split(out, "test", "t10k", args.limit)
    print(f"{out}/net.pt, {out}/train.npz ({n_train} images), {out}/test.npz ({n_test} images)")


if __name__ == "__main__":
    main()
