#!/usr/bin/python3
"""The training run as users run it: `descent train` on the quickstart MLP (784-256-10, batch 128,
one epoch, then the test-set evaluation) against the plain PyTorch script doing the same
(torch_mlp_epoch.py --evaluate), in interleaved rounds; and the CNN's epoch at 1 and 2 threads.
samples/s is over the whole run, the evaluation included: descent's own `samples_per_s`, and the
script's timed the same way. The script runs with OPENBLAS_NUM_THREADS as bench/run.sh sets it (1).

Beside them, the floor the two 784 x 256 GEMMs of a step set (forward, and the weight gradient; the
rest of the model is 1% of the arithmetic) on OpenBLAS with as many threads: no implementation of
this model can step faster than its GEMMs on the same BLAS.

Prints Markdown tables; with --goals FILE, appends issue 14's goal rows (goal, target, measured,
met) to FILE.
    bench/training_run.py BUILD_DIR [--rounds 3] [--goals FILE]
"""
import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time


HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"
LEARNING_RATES = {"sgd": "lr = 0.05\nmomentum = 0.9", "adam": "lr = 1e-3", "diffgrad": "lr = 1e-3", "exadam": "lr = 1e-3"}


MODELS = {"mlp": "hidden = [256]", "cnn": 'kind = "cnn"'}


def descent_rate(binary, folder, optimizer, threads, model="mlp"):
    study = os.path.join(folder, f"{model}-{optimizer}-{threads}.toml")
    with open(study, "w") as f:
        f.write(f'[study]\nname = "bench-run-{model}-{optimizer}-{threads}"\n[data]\ndir = "{DATA}"\n[model]\n{MODELS[model]}\n'
                f"[train]\nepochs = 1\nbatch_size = 128\nthreads = {threads}\n"
                f'[[optimizers]]\nname = "{optimizer}"\n{LEARNING_RATES[optimizer]}\n')
    store = os.path.join(folder, f"{model}-{optimizer}-{threads}-{time.monotonic_ns()}.db")
    subprocess.run([binary, "train", study, "--quiet", "--store", store, "--report-dir", os.path.join(folder, "reports")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (rate,) = sqlite3.connect(store).execute("SELECT value FROM run_summaries WHERE name = 'samples_per_s'").fetchone()
    return rate


def pytorch_rate(optimizer, threads):
    out = subprocess.run([sys.executable, os.path.join(HERE, "torch_mlp_epoch.py"), "--optimizer", optimizer, "--threads",
                          str(threads), "--repeats", "1", "--evaluate"], check=True, capture_output=True, text=True).stdout
    return float(out.split('"samples_per_s": ')[1].split("}")[0].split(",")[0])


GEMM_FLOOR = """
import time, torch
torch.set_num_threads(1)
x, w, dy, b = torch.rand(128, 784), torch.rand(256, 784), torch.rand(128, 256), torch.rand(256)
for _ in range(100):
    torch.addmm(b, x, w.t()), torch.mm(dy.t(), x)
best = float("inf")
for _ in range(5):
    start = time.perf_counter()
    for _ in range(500):
        torch.addmm(b, x, w.t()), torch.mm(dy.t(), x)
    best = min(best, (time.perf_counter() - start) / 500)
print(128 / best)
"""


def gemm_floor(threads):
    """samples/s if a step cost only its two 784 x 256 GEMMs, on OpenBLAS with `threads` threads
    (who runs an MLP's GEMMs at train.threads = threads: src/train/trainer.cpp, thread_plan)."""
    environment = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    return float(subprocess.run([sys.executable, "-c", GEMM_FLOOR], check=True, capture_output=True, text=True,
                                env=environment).stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--goals")
    args = parser.parse_args()
    binary = os.path.join(args.build, "descent")
    goals = []
    with tempfile.TemporaryDirectory() as folder:
        rates = {}
        for threads in (1, 2):
            for optimizer in ("sgd", "adam"):
                d, p = [], []
                for _ in range(args.rounds):  # interleaved, so drift on a shared machine hits both alike
                    d.append(descent_rate(binary, folder, optimizer, threads))
                    p.append(pytorch_rate(optimizer, threads))
                rates[(optimizer, threads)] = (statistics.median(d), statistics.median(p))
        cnn = {threads: statistics.median(descent_rate(binary, folder, "sgd", threads, "cnn") for _ in range(args.rounds))
               for threads in (1, 2)}
        adaptive = {}
        for optimizer in ("adam", "diffgrad", "exadam"):
            adaptive[optimizer] = statistics.median(descent_rate(binary, folder, optimizer, 1) for _ in range(args.rounds))

    floors = {threads: gemm_floor(threads) for threads in (1, 2)}
    print("| optimizer | threads | descent samples/s | PyTorch samples/s | ratio | GEMM floor samples/s | descent / floor |")
    print("|---|---|---|---|---|---|---|")
    for (optimizer, threads), (d, p) in rates.items():
        print(f"| {optimizer} | {threads} | {d:.0f} | {p:.0f} | {d / p:.2f}x | {floors[threads]:.0f} | {d / floors[threads]:.0%} |")
    print()
    print(f"CNN (SGD momentum), descent samples/s: 1 thread {cnn[1]:.0f}, 2 threads {cnn[2]:.0f} ({cnn[2] / cnn[1]:.2f}x)")
    print()
    print("| optimizer (1 thread) | descent samples/s | vs Adam |")
    print("|---|---|---|")
    for optimizer, rate in adaptive.items():
        print(f"| {optimizer} | {rate:.0f} | {rate / adaptive['adam']:.2f}x |")

    for optimizer in ("sgd", "adam"):
        d, p = rates[(optimizer, 1)]
        goals.append((f"training run vs PyTorch script, {optimizer}, 1 thread", ">= 1.5x",
                      f"{d / p:.2f}x (GEMM floor {floors[1] / p:.2f}x)", d / p >= 1.5))
    for optimizer in ("diffgrad", "exadam"):
        ratio = adaptive[optimizer] / adaptive["adam"]
        goals.append((f"training run, {optimizer} vs Adam", ">= 0.90x", f"{ratio:.2f}x", ratio >= 0.9))
    for optimizer in ("sgd", "adam"):
        scaling = rates[(optimizer, 2)][0] / rates[(optimizer, 1)][0]
        goals.append((f"train.threads = 2 vs 1, MLP run, {optimizer}", ">= 1.6x",
                      f"{scaling:.2f}x (its GEMMs alone: {floors[2] / floors[1]:.2f}x)", scaling >= 1.6))
    goals.append(("train.threads = 2 vs 1, CNN run, sgd", ">= 1.6x", f"{cnn[2] / cnn[1]:.2f}x", cnn[2] / cnn[1] >= 1.6))
    if args.goals:
        with open(args.goals, "a") as f:
            for goal, target, measured, met in goals:
                f.write(f"| {goal} | {target} | {measured} | {'met' if met else 'NOT met'} |\n")


if __name__ == "__main__":
    main()
