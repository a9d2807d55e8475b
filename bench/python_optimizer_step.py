#!/usr/bin/python3
"""descent.optim from Python against torch.optim, on the same tensors in the same process: the
step time of Adam and AdamW (torch's foreach and single-tensor paths) at 1e5-1e7 float32
parameters split over ten tensors, as a model's would be. Rounds interleave the three so that
drift on a shared machine hits all alike; the table gives medians and descent's speed-up.

    PYTHONPATH=build/python bench/python_optimizer_step.py [--sizes 1e5,1e6,1e7] [--threads 1,2]
"""
import argparse
import statistics
import time

import torch

import descent


def parameters(size, pieces=10):
    generator = torch.Generator().manual_seed(0)
    params = []
    for i in range(pieces):
        n = size // pieces + (1 if i < size % pieces else 0)
        p = torch.randn(n, generator=generator).requires_grad_(True)
        p.grad = torch.randn(n, generator=generator) * 0.01
        params.append(p)
    return params


def candidates(name, threads):
    lr = 1e-3
    torch_class = getattr(torch.optim, name)
    return {
        "descent": lambda p: getattr(descent.optim, name)(p, lr=lr, threads=threads),
        "torch foreach": lambda p: torch_class(p, lr=lr, foreach=True),
        "torch for-loop": lambda p: torch_class(p, lr=lr, foreach=False),
    }


def step_seconds(optimizer, steps):
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5,1e6,1e7")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("| optimizer | parameters | threads | descent ms | torch foreach ms | torch for-loop ms | vs foreach | vs for-loop |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("Adam", "AdamW"):
        for size in (int(float(s)) for s in args.sizes.split(",")):
            for threads in (int(t) for t in args.threads.split(",")):
                torch.set_num_threads(threads)
                steps = max(3, int(2e7 // size))
                made = {label: make(parameters(size)) for label, make in candidates(name, threads).items()}
                for optimizer in made.values():
                    optimizer.step()  # state allocated outside the timing
                times = {label: [] for label in made}
                for _ in range(args.rounds):
                    for label, optimizer in made.items():
                        times[label].append(step_seconds(optimizer, steps))
                ms = {label: 1e3 * statistics.median(values) for label, values in times.items()}
                print(f"| {name} | {size:.0e} | {threads} | {ms['descent']:.3f} | {ms['torch foreach']:.3f} | "
                      f"{ms['torch for-loop']:.3f} | {ms['torch foreach'] / ms['descent']:.2f}x | "
                      f"{ms['torch for-loop'] / ms['descent']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
