"""Keras Tuner searches for every project: Hyperband, resumable, optionally distributed.

Hyperband (Li et al., 2018) treats hyperparameter search as a budget problem: it trains many
configurations for a few epochs and keeps training only the best third, the book's advice of
Section 11.4 made automatic. A trial is the project's own recipe: its `model.py`
`hyperparameters(hp, config)` only samples values into a config, `build_model` builds it, and
`train.py`'s `compile_model` compiles it, so a trial trains exactly as `train` would. The
search state lives in `directory`, so rerunning the same command resumes it (`overwrite=False`)
without repeating finished trials. To spread trials over machines, start the same command with
Keras Tuner's variables set: `KERASTUNER_TUNER_ID=chief` (or `tuner0`, `tuner1`, ...),
`KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`.
"""

import os
import pathlib
import time

import keras
import keras_tuner

from common.report import report as report_lib


def is_worker():
    """True in a distributed search's worker processes (they leave reporting to the chief)."""
    tuner_id = os.environ.get("KERASTUNER_TUNER_ID")
    return bool(os.environ.get("KERASTUNER_ORACLE_IP")) and tuner_id not in (None, "chief")


class ProjectHyperModel(keras_tuner.HyperModel):
    """A project's recipe as Keras Tuner's hypermodel: `build(hp)` samples a config and builds
    and compiles its model; `fit` feeds it the project's data for that config."""

    def __init__(self, project, config, datasets):
        super().__init__(name=project.name)
        self.project, self.config, self.datasets = project, config, datasets

    def build(self, hp):
        trial_config = self.project.hyperparameters(hp, self.config)
        model = self.project.build_model(trial_config)
        self.project.compile_model(model, trial_config, self.datasets)
        return model

    def fit(self, hp, model, *args, **kwargs):
        trial_config = self.project.hyperparameters(hp, self.config)  # The values hp holds.
        return model.fit(
            self.datasets.train(trial_config),
            validation_data=self.datasets.validation(trial_config),
            **kwargs,
        )


def search(project, config, datasets, *, directory, max_trials=None, overwrite=False):
    """Runs (or resumes) a Hyperband search; returns a summary dict of every trial."""
    objective, direction = project.tuner_objective
    tuner = keras_tuner.Hyperband(
        hypermodel=ProjectHyperModel(project, config, datasets),
        objective=keras_tuner.Objective(objective, direction),
        max_epochs=max(2, config.epochs),
        factor=3,
        seed=config.seed,
        directory=str(directory),
        project_name="search",
        overwrite=overwrite,
    )
    if max_trials is not None:
        tuner.oracle.max_trials = max_trials  # Hyperband has no such argument; its oracle does.
    start = time.perf_counter()
    tuner.search(
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor=objective, patience=config.patience, mode=direction
            ),
            # Keras Tuner gives every trial its own folder under this one, with its hparams.
            keras.callbacks.TensorBoard(str(pathlib.Path(directory) / "tensorboard")),
        ],
        verbose=2 if os.environ.get("CI") else 1,
    )
    return summarize(tuner, objective, time.perf_counter() - start, direction)


def summarize(tuner, objective, wall_time_seconds, direction="max"):
    """The trials as rows (id, status, score, hyperparameters), best first. A worker's oracle
    is a client of the chief's, which alone holds the trials: a worker summarizes none."""
    trials = [] if is_worker() else tuner.oracle.trials.values()
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
        "direction": direction,
        "trials": rows,
        "best_score": best["score"] if best else float("nan"),
        "best_hyperparameters": best["hyperparameters"] if best else {},
        "wall_time_seconds": wall_time_seconds,
    }


def build_report(results):
    """The search's report: the best hyperparameters, then every trial."""
    metrics = results.metrics
    report = report_lib.Report(
        results.project, f"{results.project.removesuffix('-tuning')}: Keras Tuner search"
    )
    report.add_metric(f"best {metrics['objective']}", metrics["best_score"], headline=True)
    report.add_metric("trials", len(metrics["trials"]), fmt="{}")
    report.add_section(
        "Best hyperparameters",
        "Chosen by the validation objective; the test set plays no part in the search.",
    )
    report.add_table(
        ["hyperparameter", "value"],
        sorted(metrics["best_hyperparameters"].items()),
        computed_by=summarize,
    )
    report.add_section("All trials", "Best first. Hyperband trains many trials for few epochs.")
    names = sorted({name for row in metrics["trials"] for name in row["hyperparameters"]})
    report.add_table(
        ["trial", "status", metrics["objective"], *names],
        [
            [row["trial_id"], row["status"], row["score"]]
            + [row["hyperparameters"].get(name) for name in names]
            for row in metrics["trials"]
        ],
        computed_by=summarize,
    )
    return report
