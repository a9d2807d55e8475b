#!/usr/bin/python3
"""Tuning the quickstart MLP's AdamW learning rate and weight decay with 20 trials (one epoch each,
validation accuracy as the objective), by descent's GP sampler (`descent tune`) and by Optuna's TPE
driving `descent train` with the same overrides: the same trainer, only the sampler differs.
Prints the best trial of each with its validation and test accuracy.
    bench/tune_mlp.py BUILD_DIR [--trials 20]
"""
import argparse
import os
import sqlite3
import subprocess
import tempfile

import optuna

STUDY = """[study]
name = "tune-mlp"
[data]
dir = "{data}"
validation = 5000
[model]
hidden = [256]
[train]
epochs = 1
batch_size = 128
[[optimizers]]
name = "adamw"
lr = 1e-3
weight_decay = 1e-2
[tune]
trials = {trials}
objective = "final_val_accuracy"
direction = "maximize"
[[tune.params]]
name = "optimizers[0].lr"
low = 1e-4
high = 1e-1
log = true
[[tune.params]]
name = "optimizers[0].weight_decay"
low = 1e-5
high = 1e-1
log = true
"""


def summary(db, run_id):
    return dict(db.execute("SELECT name, value FROM run_summaries WHERE run_id = ?", (run_id,)).fetchall())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    binary = os.path.abspath(os.path.join(args.build, "descent"))
    with tempfile.TemporaryDirectory() as folder:
        config = os.path.join(folder, "study.toml")
        with open(config, "w") as f:
            f.write(STUDY.format(data=args.data, trials=args.trials))
        subprocess.run([binary, "tune", config, "--quiet", "--store", os.path.join(folder, "gp.db"), "--report-dir",
                        os.path.join(folder, "reports")], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = sqlite3.connect(os.path.join(folder, "gp.db"))
        value, run_id, number = db.execute(
            "SELECT value, run_id, number FROM trials WHERE state = 'COMPLETE' ORDER BY value DESC LIMIT 1").fetchone()
        gp = summary(db, run_id)
        gp_params = dict(db.execute("SELECT param_name, param_value FROM trial_params p JOIN trials t USING (trial_id) "
                                    "WHERE t.number = ?", (number,)).fetchall())

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
        store = os.path.join(folder, "tpe.db")
        results = {}

        def objective(trial):
            lr = trial.suggest_float("optimizers[0].lr", 1e-4, 1e-1, log=True)
            wd = trial.suggest_float("optimizers[0].weight_decay", 1e-5, 1e-1, log=True)
            subprocess.run([binary, "train", config, f"optimizers[0].lr={lr!r}", f"optimizers[0].weight_decay={wd!r}", "--quiet",
                            "--store", store, "--report-dir", os.path.join(folder, "reports")], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            tpe_db = sqlite3.connect(store)
            run = tpe_db.execute("SELECT MAX(id) FROM runs").fetchone()[0]
            results[trial.number] = summary(tpe_db, run)
            return results[trial.number]["final_val_accuracy"]

        study.optimize(objective, n_trials=args.trials)
        tpe = results[study.best_trial.number]
    print(f"| sampler ({args.trials} trials, 1 epoch each) | best val accuracy | its test accuracy | lr | weight decay |")
    print("|---|---|---|---|---|")
    print(f"| descent GP-EI | {gp['final_val_accuracy']:.4f} | {gp['final_test_accuracy']:.4f} | "
          f"{gp_params['optimizers[0].lr']:.3g} | {gp_params['optimizers[0].weight_decay']:.3g} |")
    print(f"| Optuna TPE | {tpe['final_val_accuracy']:.4f} | {tpe['final_test_accuracy']:.4f} | "
          f"{study.best_params['optimizers[0].lr']:.3g} | {study.best_params['optimizers[0].weight_decay']:.3g} |")


if __name__ == "__main__":
    main()
