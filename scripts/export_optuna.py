#!/usr/bin/python3
"""Copies a descent tuning study into an Optuna storage through Optuna's public API, then reads it
back with optuna.load_study and prints what Optuna sees as JSON (trial count, states, best value
and parameters), so that the copy can be checked.

    scripts/export_optuna.py STORE STUDY OPTUNA_STORAGE      # e.g. runs/descent.db quickstart-tune sqlite:///optuna.db

STORE is descent's SQLite store (where `descent tune` keeps trials by default). RUNNING trials
are not copied (Optuna accepts only finished trials into a study from outside); they are counted
in the output as "skipped_running".
"""
import json
import sqlite3
import sys

import optuna
from optuna.distributions import json_to_distribution


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    store, name, storage = sys.argv[1:]
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    row = db.execute("SELECT id, direction FROM tune_studies WHERE name = ?", (name,)).fetchone()
    if row is None:
        sys.exit(f"{store}: no tuning study named {name!r}")
    study_id, direction = row
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=name, storage=storage, direction=direction.lower())
    skipped = 0
    for trial_id, number, state, value, run_id in db.execute(
            "SELECT trial_id, number, state, value, run_id FROM trials WHERE study_id = ? ORDER BY number", (study_id,)).fetchall():
        if state == "RUNNING":
            skipped += 1
            continue
        params, distributions = {}, {}
        for param_name, internal, distribution_json in db.execute(
                "SELECT param_name, param_value, distribution_json FROM trial_params WHERE trial_id = ? ORDER BY rowid", (trial_id,)):
            distribution = json_to_distribution(distribution_json)
            distributions[param_name] = distribution
            params[param_name] = distribution.to_external_repr(internal)
        intermediate = dict(db.execute(
            "SELECT step, intermediate_value FROM trial_intermediate_values WHERE trial_id = ?", (trial_id,)).fetchall())
        study.add_trial(optuna.trial.create_trial(
            params=params, distributions=distributions, value=value if state == "COMPLETE" else None,
            intermediate_values=intermediate, state=optuna.trial.TrialState[state],
            user_attrs={"descent_number": number, "descent_run_id": run_id}))
    loaded = optuna.load_study(study_name=name, storage=storage)
    states = {}
    for trial in loaded.trials:
        states[trial.state.name] = states.get(trial.state.name, 0) + 1
    complete = [t for t in loaded.trials if t.state == optuna.trial.TrialState.COMPLETE]
    print(json.dumps({
        "trials": len(loaded.trials), "states": states, "skipped_running": skipped,
        "best_value": loaded.best_value if complete else None,
        "best_params": loaded.best_params if complete else None,
        "best_descent_number": loaded.best_trial.user_attrs["descent_number"] if complete else None,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
