#!/usr/bin/python3
"""descent as a drop-in for torch.optim: a plain PyTorch training script for the Fashion-MNIST MLP
(784-256-10) in which only the optimizer line names descent. The scheduler is torch's own
OneCycleLR, unchanged: it sets the learning rate and cycles the betas of descent's AdamW as it
would torch's.

    /usr/bin/python3 examples/pytorch_drop_in.py [--epochs 2] [--train-limit N]
"""
import argparse
import gzip
import pathlib
import time

import numpy as np
import torch

import descent

DATA = pathlib.Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist


def read_idx(path):
    """An IDX file (LeCun's format) as a numpy array: magic, rank, big-endian dimensions, bytes."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    if data[:2] != b"\0\0" or data[2] != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(split, limit=None):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(DATA / f"{prefix}-images-idx3-ubyte.gz")[:limit]
    labels = read_idx(DATA / f"{prefix}-labels-idx1-ubyte.gz")[:limit]
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    return (x - 0.2860) / 0.3530, torch.from_numpy(labels.astype(np.int64))  # the training set's mean and std


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train-limit", type=int, default=None, help="use the first N training images")
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(1)
    train_x, train_y = load("train", args.train_limit)
    test_x, test_y = load("test")
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))

    optimizer = descent.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)  # the one changed line
    steps_per_epoch = (len(train_x) + args.batch_size - 1) // args.batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, epochs=args.epochs,
                                                    steps_per_epoch=steps_per_epoch)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        order = torch.randperm(len(train_x))
        for begin in range(0, len(train_x), args.batch_size):
            batch = order[begin:begin + args.batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(train_x[batch]), train_y[batch])
            loss.backward()
            optimizer.step()
            scheduler.step()
        with torch.no_grad():
            accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        print(f"epoch {epoch + 1}: train loss {loss.item():.4f}, test accuracy {accuracy:.4f}, "
              f"lr {scheduler.get_last_lr()[0]:.2e}, {time.perf_counter() - start:.1f} s")
    print(f"final test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
