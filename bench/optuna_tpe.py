#!/usr/bin/python3
"""Optuna's TPE sampler (python3-optuna, default settings, seeded) on Branin and Hartmann-6 over
the unit cube, 40 evaluations, seeds 0-9: one JSON line per run with the simple regret, as
bench_tune prints for descent; then TPE's own proposal latency at 100 observations.
"""
import json
import math
import time

import optuna


def branin(u):
    x1, x2 = -5.0 + 15.0 * u[0], 15.0 * u[1]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i in range(4))


PROBLEMS = [("branin", branin, 2, 0.397887), ("hartmann6", hartmann6, 6, -3.32237)]


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for name, f, dimension, minimum in PROBLEMS:
        for seed in range(10):
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
            study.optimize(lambda trial: f([trial.suggest_float(f"x{d}", 0.0, 1.0) for d in range(dimension)]), n_trials=40)
            print(json.dumps({"impl": "optuna-tpe", "problem": name, "seed": seed, "regret": study.best_value - minimum}), flush=True)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(lambda trial: hartmann6([trial.suggest_float(f"x{d}", 0.0, 1.0) for d in range(6)]), n_trials=100)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        trial = study.ask()
        for d in range(6):
            trial.suggest_float(f"x{d}", 0.0, 1.0)
        times.append((time.perf_counter() - start) * 1e3)
        study.tell(trial, hartmann6([trial.params[f"x{d}"] for d in range(6)]))
    print(json.dumps({"impl": "optuna-tpe", "latency_ms_at_100": sorted(times)[2]}))


if __name__ == "__main__":
    main()
