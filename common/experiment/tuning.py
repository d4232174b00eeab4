"""Keras Tuner searches shared by every project: Hyperband, resumable, optionally distributed.

Hyperband (Li et al., 2018) treats hyperparameter search as a budget problem: it trains many
configurations for a few epochs and keeps training only the best third, the book's advice of
Section 11.4 made automatic. The search state lives in `directory`, so rerunning the same command
resumes it (`overwrite=False`) without repeating finished trials. To spread trials over machines,
start the same command with Keras Tuner's variables set: `KERASTUNER_TUNER_ID=chief` (or `tuner0`,
`tuner1`, ...), `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`.
"""

import os
import time

import keras
import keras_tuner

from common.report import report as report_lib


def is_worker():
    """True in a distributed search's worker processes (they leave reporting to the chief)."""
    tuner_id = os.environ.get("KERASTUNER_TUNER_ID")
    return bool(os.environ.get("KERASTUNER_ORACLE_IP")) and tuner_id not in (None, "chief")


def search(
    build,
    train_data,
    validation_data,
    *,
    directory,
    max_epochs,
    seed,
    objective="val_accuracy",
    max_trials=None,
    overwrite=False,
    patience=3,
    direction=None,
):
    """Runs (or resumes) a Hyperband search; returns a summary dict of every trial.

    `direction` ("max" or "min") is needed only for a custom metric whose sense Keras Tuner
    cannot infer from its name (e.g. "val_psnr").
    """
    tuner = keras_tuner.Hyperband(
        hypermodel=build,
        objective=objective if direction is None else keras_tuner.Objective(objective, direction),
        max_epochs=max(2, max_epochs),
        factor=3,
        seed=seed,
        directory=str(directory),
        project_name="search",
        overwrite=overwrite,
    )
    if max_trials is not None:
        tuner.oracle.max_trials = max_trials  # Hyperband has no such argument; its oracle does.
    start = time.perf_counter()
    tuner.search(
        train_data,
        validation_data=validation_data,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor=objective, patience=patience, mode=direction or "auto"
            )
        ],
        verbose=2 if os.environ.get("CI") else 1,
    )
    return summarize(tuner, objective, time.perf_counter() - start, direction or "max")


def summarize(tuner, objective, wall_time_seconds, direction="max"):
    """The trials as rows (id, status, score, hyperparameters), best first."""
    trials = tuner.oracle.trials.values()
    rows = [
        {
            "trial_id": trial.trial_id,
            "status": str(trial.status),
            "score": None if trial.score is None else float(trial.score),
            "hyperparameters": dict(trial.hyperparameters.values),
        }
        for trial in trials
    ]
    sign = 1.0 if direction == "min" else -1.0
    rows.sort(key=lambda row: (row["score"] is None, sign * (row["score"] or 0.0)))
    best = rows[0] if rows and rows[0]["score"] is not None else None
    return {
        "objective": objective,
        "trials": rows,
        "best_score": best["score"] if best else float("nan"),
        "best_hyperparameters": best["hyperparameters"] if best else {},
        "wall_time_seconds": wall_time_seconds,
    }


def write_report(result, project, config, preset, data_source, reports_dir):
    """Writes REPORTS/<project>-tuning/: the trials table and the best hyperparameters."""
    if is_worker():
        return None
    report = report_lib.Report(f"{project}-tuning", f"{project}: Keras Tuner search (Hyperband)")
    report.add_metric(f"best {result['objective']}", result["best_score"], headline=True)
    report.add_metric("trials", len(result["trials"]), fmt="{}")
    report.add_section(
        "Best hyperparameters",
        "Chosen by the validation objective; the test set plays no part in the search.",
    )
    report.add_table(["hyperparameter", "value"], sorted(result["best_hyperparameters"].items()))
    report.add_section("All trials", "Best first. Hyperband trains many trials for few epochs.")
    names = sorted({name for row in result["trials"] for name in row["hyperparameters"]})
    report.add_table(
        ["trial", "status", result["objective"], *names],
        [
            [
                row["trial_id"],
                row["status"],
                row["score"],
                *[row["hyperparameters"].get(name) for name in names],
            ]
            for row in result["trials"]
        ],
    )
    return report_lib.publish(
        report,
        reports_dir,
        project=f"{project}-tuning",
        config=config,
        preset=preset,
        data_source=data_source,
        wall_time_seconds=result["wall_time_seconds"],
        metrics={
            "best_score": result["best_score"],
            "trials": result["trials"],
            "best_hyperparameters": result["best_hyperparameters"],
        },
    )
