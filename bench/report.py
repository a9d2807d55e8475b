#!/usr/bin/python3
"""Turns the JSON lines of bench_optimizer_step and torch_optimizer_step.py into Markdown tables
of ratios (descent over each baseline, measured in the same run)."""
import json
import sys
from collections import defaultdict


def main():
    rows = defaultdict(dict)
    triad = {}
    for path in sys.argv[1:]:
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
          "vs PyTorch foreach | bytes vs triad | 2 threads vs 1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, size, threads), kinds in sorted(rows.items(), key=lambda item: (item[0][0], item[0][1], item[0][2])):
        d = kinds.get("descent")
        if not d:
            continue

        def ratio(kind, source=kinds):
            other = source.get(kind)
            return f"{d['params_per_s'] / other['params_per_s']:.2f}x" if other else "–"

        loop = rows.get((name, size, 1), {}).get("loop")
        vs_loop = f"{d['params_per_s'] / loop['params_per_s']:.2f}x" if loop and threads == 1 else "–"
        bandwidth = triad.get((size, threads))
        vs_triad = f"{d['bytes_per_s'] / bandwidth:.0%}" if bandwidth else "–"
        one = rows.get((name, size, 1), {}).get("descent")
        scaling = f"{d['params_per_s'] / one['params_per_s']:.2f}x" if one and threads == 2 else "–"
        sse2 = kinds.get("descent_sse2")
        sse2_vs_triad = f"{sse2['bytes_per_s'] / bandwidth:.0%}" if sse2 and bandwidth else "–"
        print(f"| {name} | {size:.0e} | {threads} | {d['params_per_s'] / 1e9:.2f} | {d.get('isa', '–')} | {ratio('descent_sse2')} | "
              f"{sse2_vs_triad} | {vs_loop} | {ratio('libtorch')} | {ratio('pytorch')} | {vs_triad} | {scaling} |")


if __name__ == "__main__":
    main()
