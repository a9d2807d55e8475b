#!/usr/bin/python3
"""PyTorch (python, foreach=True where torch 1.13 has it) optimizer step throughput, to set
beside bench_optimizer_step's figures. One JSON line per optimizer, size and thread count."""
import argparse
import json
import statistics
import time

import torch

OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=True),
    "adam": lambda p: torch.optim.Adam(p, lr=1e-3, foreach=True),
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-3, foreach=True),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=1e-2, foreach=True),
    "adadelta": lambda p: torch.optim.Adadelta(p, lr=1.0, foreach=True),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-2, foreach=True),
    "amsgrad": lambda p: torch.optim.Adam(p, lr=1e-3, amsgrad=True, foreach=True),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1e5,1e6,1e7")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    for size in (int(float(s)) for s in args.sizes.split(",")):
        for threads in (int(t) for t in args.threads.split(",")):
            torch.set_num_threads(threads)
            for name, make in OPTIMIZERS.items():
                p = torch.randn(size).requires_grad_(True)
                p.grad = torch.randn(size) * 0.01
                optimizer = make([p])
                optimizer.step()
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    optimizer.step()
                    times.append(time.perf_counter() - start)
                print(json.dumps({"kind": "pytorch", "optimizer": name, "size": size, "threads": threads,
                                  "params_per_s": size / statistics.median(times)}), flush=True)


if __name__ == "__main__":
    main()
