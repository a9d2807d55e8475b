#!/usr/bin/python3
"""Prints the side-by-side table of bench_tune (descent) and optuna_tpe.py (Optuna TPE) output:
median simple regret (and quartiles) over seeds per problem, runs within 0.01 of the optimum, and
proposal latency at 100 observations.
    bench/tune_report.py DESCENT.jsonl OPTUNA.jsonl
"""
import json
import statistics
import sys


def main():
    rows = [json.loads(line) for path in sys.argv[1:] for line in open(path) if line.strip()]
    runs = [r for r in rows if "regret" in r]
    print("| problem | sampler | median regret | quartiles | within 0.01 |")
    print("|---|---|---|---|---|")
    for problem in ("branin", "hartmann6"):
        for impl in ("descent-gp-ei", "optuna-tpe", "descent-random"):
            regrets = sorted(r["regret"] for r in runs if r["problem"] == problem and r["impl"] == impl)
            if not regrets:
                continue
            q = statistics.quantiles(regrets, n=4)
            print(f"| {problem} | {impl} | {statistics.median(regrets):.3g} | {q[0]:.3g} - {q[2]:.3g} | "
                  f"{sum(r < 0.01 for r in regrets)}/{len(regrets)} |")
    print()
    print("| sampler | proposal latency at 100 observations (ms) |")
    print("|---|---|")
    for r in rows:
        if "latency_ms_at_100" in r:
            print(f"| {r['impl']} | {r['latency_ms_at_100']:.1f} |")


if __name__ == "__main__":
    main()
