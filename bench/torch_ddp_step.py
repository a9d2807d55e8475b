#!/usr/bin/python3
"""Step time of the quickstart MLP (784-256-10, global batch 128, SGD momentum) with PyTorch's
DistributedDataParallel over gloo on this machine, N processes of one thread each; N = 1 runs the
plain model. The same model, batch split and step count as descent's data-parallel bench.
Prints one JSON line: median step time over the timed steps.
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from fashion_mnist import read_idx


def worker(rank, world, args, results):
    torch.set_num_threads(1)
    if world > 1:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(args.port))
        dist.init_process_group("gloo", rank=rank, world_size=world)
    images = torch.from_numpy(read_idx(f"{args.data}/train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    labels = torch.from_numpy(read_idx(f"{args.data}/train-labels-idx1-ubyte.gz").astype(np.int64))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    shard = 128 // world
    times = []
    for step in range(args.steps):
        begin = step * 128 + rank * shard
        index = order[begin: begin + shard]
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images[index]), labels[index])
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    if rank == 0:
        results.put(statistics.median(times[10:]) * 1e3)
    if world > 1:
        dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--port", type=int, default=29533)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    context = mp.get_context("spawn")
    results = context.SimpleQueue()
    processes = [context.Process(target=worker, args=(r, args.processes, args, results)) for r in range(args.processes)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    print(json.dumps({"impl": "pytorch-ddp-gloo", "processes": args.processes, "step_ms": round(results.get(), 3)}), flush=True)


if __name__ == "__main__":
    main()
