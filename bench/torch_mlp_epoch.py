#!/usr/bin/python3
"""One Fashion-MNIST training epoch of the quickstart MLP (784-256-10, batch 128) in PyTorch.

The same model, optimizer, batch size and data as bench/mlp_epoch.cpp; prints one JSON line per
repeat. Timed from the first step to the last, as descent's bench is; with --evaluate, the test-set
evaluation after the epoch is timed too, as descent's run reports it (bench/training_run.py).
"""
import argparse
import json
import time

import numpy as np
import torch

from fashion_mnist import read_idx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="adam")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--evaluate", action="store_true",
                        help="time the whole run as descent reports it: the epoch, then the test-set loss and accuracy")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    images = torch.from_numpy(read_idx(f"{args.data}/train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    labels = torch.from_numpy(read_idx(f"{args.data}/train-labels-idx1-ubyte.gz").astype(np.int64))
    test_images = torch.from_numpy(read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    test_labels = torch.from_numpy(read_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    for _ in range(args.repeats):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        if args.optimizer == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        order = torch.randperm(len(images))
        start = time.perf_counter()
        steps = 0
        for begin in range(0, len(images), 128):
            index = order[begin: begin + 128]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images[index]), labels[index])
            loss.backward()
            optimizer.step()
            steps += 1
        if args.evaluate:
            with torch.no_grad():
                output = model(test_images)
                test_loss = torch.nn.functional.cross_entropy(output, test_labels).item()
                test_accuracy = (output.argmax(1) == test_labels).float().mean().item()
        seconds = time.perf_counter() - start
        print(json.dumps({"impl": "pytorch", "optimizer": args.optimizer, "threads": args.threads,
                          "samples_per_s": round(steps * 128 / seconds, 1)}), flush=True)


if __name__ == "__main__":
    main()
