#!/usr/bin/python3
"""Turns the JSON lines of bench_optimizer_step and torch_optimizer_step.py into Markdown tables
of ratios (descent over each baseline, measured in the same run)."""
import json
import sys
from collections import defaultdict


GOAL_SIZE, GOAL_SHARE = 1e7, 0.8


def main():
    rows = defaultdict(dict)
    triad = {}
    paths, goals_path = sys.argv[1:], None
    if "--goals" in paths:  # --goals FILE: append issue 14's optimizer goal rows to FILE
        at = paths.index("--goals")
        goals_path = paths[at + 1]
        paths = paths[:at] + paths[at + 2:]
    for path in paths:
        with open(path) as f:
            for line in f:
                if not line.startswith("{"):
                    continue
                r = json.loads(line)
                if r["kind"] == "triad":
                    triad[(r["size"], r["threads"])] = r["bytes_per_s"]
                    continue
                key = (r["optimizer"], r["size"], r["threads"])
                rows[key][r["kind"]] = r
    print("| optimizer | params | threads | descent Gparam/s | instruction set | vs SSE2 | SSE2 bytes vs triad | vs own loop | vs LibTorch | "
          "vs PyTorch foreach | bytes vs triad | all passes' bytes vs triad | 2 threads vs 1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, size, threads), kinds in sorted(rows.items(), key=lambda item: (item[0][0], item[0][1], item[0][2])):
        d = kinds.get("descent")
        if not d:
            continue

        def ratio(kind, source=kinds):
            other = source.get(kind)
            return f"{d['params_per_s'] / other['params_per_s']:.2f}x" if other else "–"

        loop = rows.get((name, size, 1), {}).get("loop")
        vs_loop = f"{d['params_per_s'] / loop['params_per_s']:.2f}x" if loop and threads == 1 else "–"
        bandwidth = d.get("triad_bytes_per_s", triad.get((size, threads)))  # measured right before the step
        vs_triad = f"{d['bytes_per_s'] / bandwidth:.0%}" if bandwidth else "–"
        all_passes = d.get("all_passes_bytes_per_s", d["bytes_per_s"])
        all_vs_triad = f"{all_passes / bandwidth:.0%}" if bandwidth else "–"
        one = rows.get((name, size, 1), {}).get("descent")
        scaling = f"{d['params_per_s'] / one['params_per_s']:.2f}x" if one and threads == 2 else "–"
        sse2 = kinds.get("descent_sse2")
        sse2_vs_triad = f"{sse2['bytes_per_s'] / bandwidth:.0%}" if sse2 and bandwidth else "–"
        print(f"| {name} | {size:.0e} | {threads} | {d['params_per_s'] / 1e9:.2f} | {d.get('isa', '–')} | {ratio('descent_sse2')} | "
              f"{sse2_vs_triad} | {vs_loop} | {ratio('libtorch')} | {ratio('pytorch')} | {vs_triad} | {all_vs_triad} | {scaling} |")
    if goals_path:
        write_goals(rows, triad, goals_path)


def write_goals(rows, triad, goals_path):
    """Every optimizer at >= 80% of the memory bound at 1e7, counting every pass the rule needs. The
    bound is the triad measured right before each step: bandwidth drifts within a run on a shared VM,
    so a bound measured once per size misjudges the steps timed long after it."""
    with open(goals_path, "a") as f:
        for threads in (1, 2):
            shares = {}
            for (name, size, t), kinds in rows.items():
                d = kinds.get("descent")
                bandwidth = d and d.get("triad_bytes_per_s", triad.get((size, t)))
                if size == GOAL_SIZE and t == threads and bandwidth:
                    shares[name] = d.get("all_passes_bytes_per_s", d["bytes_per_s"]) / bandwidth
            if not shares:
                continue
            below = sorted(name for name, share in shares.items() if share < GOAL_SHARE)
            worst = min(shares, key=shares.get)
            measured = f"lowest {worst} {shares[worst]:.0%}" + (f"; under: {', '.join(below)}" if below else "")
            f.write(f"| every optimizer at 1e7, {threads} thread{'s' if threads > 1 else ''}: bytes (all passes) vs the memory bound | "
                    f">= {GOAL_SHARE:.0%} | {measured} | {'met' if not below else 'NOT met'} |\n")


if __name__ == "__main__":
    main()
