#!/usr/bin/python3
"""Data-parallel step time and traffic of the quickstart MLP (784-256-10, global batch 128, SGD
momentum, one thread per process): descent with 1 process, 2 MPI ranks exchanging dense gradients
(allreduce) and 2 ranks with EF21 + TopK 1%, beside PyTorch DDP (gloo) with 1 and 2 processes, in
the same run. Prints a Markdown table: median step time, the share of it spent exchanging
gradients, bytes sent per worker per step, and the 2-vs-1 ratios.
    bench/data_parallel.py BUILD_DIR [--steps 200] [--goals FILE]
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile

STUDY = """[study]
name = "bench-dp"
[data]
dir = "{data}"
[model]
hidden = [256]
[train]
epochs = 1
batch_size = 128
max_steps = {steps}
log_every = 10
threads = 1
[[optimizers]]
name = "sgd"
lr = 0.05
momentum = 0.9
"""


def descent_run(binary, folder, name, processes, overrides):
    store = os.path.join(folder, name + ".db")
    command = [binary, "train", os.path.join(folder, "study.toml"), "--quiet", "--store", store,
               "--report-dir", os.path.join(folder, "reports")] + overrides
    if processes > 1:
        command = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(processes)] + command
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    db = sqlite3.connect(store)

    def median_of(metric):
        rows = [v for (v,) in db.execute("SELECT value FROM metrics WHERE name = ? AND step > 10 ORDER BY step", (metric,))]
        return statistics.median(rows) if rows else 0.0

    return {"step_ms": median_of("step_time_ms"), "comm_ms": median_of("comm_time_ms"),
            "bytes": median_of("comm_bits_per_worker") / 8}


def pytorch_run(here, processes, steps):
    out = subprocess.run([sys.executable, os.path.join(here, "torch_ddp_step.py"), "--processes", str(processes),
                          "--steps", str(steps)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["step_ms"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--goals", help="append issue 14's data-parallel goal row to this Markdown file")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    binary = os.path.join(args.build, "descent")
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "study.toml"), "w") as f:
            f.write(STUDY.format(data=args.data, steps=args.steps))
        single = descent_run(binary, folder, "one", 1, [])
        dense = descent_run(binary, folder, "dense", 2, ["comm.workers=0"])
        ef21 = descent_run(binary, folder, "ef21", 2,
                           ["comm.workers=0", 'comm.compressor="topk"', "comm.ratio=0.01", 'comm.feedback="ef21"'])
        torch_one = pytorch_run(here, 1, args.steps)
        torch_two = pytorch_run(here, 2, args.steps)
    print("| run | step ms | exchange ms (share) | bytes/worker/step | vs 1 process |")
    print("|---|---|---|---|---|")
    print(f"| descent, 1 process | {single['step_ms']:.2f} | - | - | 1.00 |")
    for label, run in (("descent, 2 ranks, dense allreduce", dense), ("descent, 2 ranks, EF21 TopK 1%", ef21)):
        share = run["comm_ms"] / run["step_ms"] if run["step_ms"] else 0.0
        print(f"| {label} | {run['step_ms']:.2f} | {run['comm_ms']:.2f} ({100 * share:.0f}%) | {run['bytes']:.0f} | "
              f"{run['step_ms'] / single['step_ms']:.2f} |")
    print(f"| PyTorch, 1 process | {torch_one:.2f} | - | - | 1.00 |")
    print(f"| PyTorch DDP (gloo), 2 processes | {torch_two:.2f} | - | {dense['bytes']:.0f} | {torch_two / torch_one:.2f} |")
    print(f"\ndescent 2-rank dense step time / PyTorch DDP 2-process step time: {dense['step_ms'] / torch_two:.2f}; "
          f"dense / EF21-TopK-1% bytes per step: {dense['bytes'] / ef21['bytes']:.1f}x")
    # The compressor's own work on one worker's gradient (encode, and decode-and-add of a message)
    # against the dense allreduce it replaces, per instruction set.
    lines = subprocess.run([os.path.join(args.build, "bench", "bench_compressor")], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    compressor = {r["isa"]: r["encode_ms"] + r["decode_ms"] for r in map(json.loads, lines)}
    print("\n| TopK 1% encode + decode, ms | " + " | ".join(compressor) + " | dense allreduce exchange, ms |")
    print("|---|" + "---|" * len(compressor) + "---|")
    print("| | " + " | ".join(f"{v:.3f}" for v in compressor.values()) + f" | {dense['comm_ms']:.3f} |")
    if args.goals:
        widest = list(compressor)[-1]
        work = compressor[widest] / dense["comm_ms"]
        with open(args.goals, "a") as f:
            f.write(f"| TopK 1% encode + decode vs the dense allreduce, 2 ranks | <= 1.00x | {work:.2f}x on {widest} "
                    f"({compressor[widest]:.3f} vs {dense['comm_ms']:.3f} ms; sse2 {compressor['sse2'] / dense['comm_ms']:.2f}x) | "
                    f"{'met' if work <= 1.0 else 'NOT met'} |\n")
            ratio = ef21["step_ms"] / dense["step_ms"]
            f.write(f"| EF21 TopK 1% vs dense allreduce, 2 ranks, step time | <= 1.00x | {ratio:.2f}x "
                    f"(exchange {ef21['comm_ms']:.2f} vs {dense['comm_ms']:.2f} ms) | {'met' if ratio <= 1.0 else 'NOT met'} |\n")


if __name__ == "__main__":
    main()
