"""The experiment every project runs, written once: prepare, load, train the plan, test, save,
report; and the tuner search. A project supplies its parts as plain functions in a `Project`.

    run:     seed -> run folder -> load_datasets(config) -> plan(config) -> for each model:
             train_model(model config, datasets, run) (or reuse a finished one) -> evaluate(...)
             -> Results saved in the run folder -> build_report(results) -> published
    report:  saved Results -> build_report(results) -> published (seconds, no training)
    tune:    load_datasets -> Keras Tuner over hyperparameters(hp, config) -> its report

Reports go to `runs/reports/<project>/` unless `--out` says otherwise: the published reports
in `reports/` change only when asked to (`--out reports`, `make reports`).
"""

import dataclasses
import datetime
import json
import pathlib
import time
import typing

from common.experiment import config as config_lib
from common.experiment import distributed, training, tuning
from common.experiment import results as results_lib
from common.report import index, meta

DEFAULT_REPORTS = pathlib.Path("runs") / "reports"


@dataclasses.dataclass(frozen=True)
class Project:
    """What one project supplies: its name, its config class and its parts, as functions."""

    name: str  # Package name under projects/, e.g. "image_classification".
    description: str  # One line for --help and the demo.
    config_class: type  # The frozen Config dataclass, with PRESETS.
    load_datasets: typing.Callable  # data.py: config -> Datasets (.train(c), .validation(c)).
    plan: typing.Callable  # train.py: config -> Plan, the models to train.
    train_model: typing.Callable  # train.py: (config, datasets, run) -> a trained model.
    evaluate: typing.Callable  # evaluate.py: (config, datasets, plan, trained) -> metrics, arrays
    build_report: typing.Callable  # report.py: Results -> Report.
    # The tuner: model.py's build_model(config) and hyperparameters(hp, config) -> config, and
    # train.py's compile_model(model, config, datasets); objective (name, "max" or "min").
    build_model: typing.Callable | None = None
    hyperparameters: typing.Callable | None = None
    compile_model: typing.Callable | None = None
    tuner_objective: tuple = ("val_accuracy", "max")
    # predict(config, workdir, text=..., preset=...) -> {"summary": ...}; ValueError or
    # FileNotFoundError for a bad text or a missing model.
    predict: typing.Callable | None = None
    # batch_predictor(config, workdir, preset=...) -> score(texts) -> one result line per text,
    # in order: `predict --file` streams a file through it one batch at a time.
    batch_predictor: typing.Callable | None = None
    predict_input: str = "text"  # What `predict` reads, for its help: "text", "image file".
    # data.py: (config, datasets) -> the config the loaded data calls for (e.g. the size of a
    # vocabulary learned from it); None: the config as given.
    adapt_config: typing.Callable | None = None


@dataclasses.dataclass(frozen=True)
class Plan:
    """The models one run trains, each a config (the run's, with some fields changed), and the
    tables the report compares them in: {table: [(row label, model name), ...]}."""

    models: dict
    tables: dict = dataclasses.field(default_factory=dict)
    headline: str | None = None  # The model named in advance to be tested (None: chosen).

    def to_json(self):
        return {
            "headline": self.headline,
            "tables": {name: [list(row) for row in rows] for name, rows in self.tables.items()},
            "models": {name: config_lib.to_dict(config) for name, config in self.models.items()},
        }


def run(project, config, *, workdir="runs", reports_dir=DEFAULT_REPORTS, preset="custom",
        fresh=False, strategy="default"):  # fmt: skip
    """Trains every model of the plan, tests, saves the results and publishes the report.

    `strategy` (distributed.STRATEGIES) spreads the training over devices or machines; in a
    multi-worker cluster only the chief tests and reports, the others return `(None, None)`.
    Returns `(results, path of the report's index.html)`.
    """
    start = time.perf_counter()
    distribution = distributed.Distribution.create(strategy)  # Before any other TF work.
    workdir = distribution.workdir(workdir)
    folder = training.prepare_run(config, workdir, project.name, preset, fresh)
    datasets = project.load_datasets(config)
    if project.adapt_config is not None:
        config = project.adapt_config(config, datasets)
    plan = project.plan(config)
    with distribution.scope():  # The models' variables on every replica (default: no change).
        trained = {
            name: training.train_or_reuse(
                name, project.train_model, config_of, datasets, folder / name
            )
            for name, config_of in plan.models.items()
        }
    if not distribution.is_chief:
        return None, None  # The chief tests the same weights and writes the report.
    if distribution.name == "multi_worker":  # Tested on this process alone, as one device.
        trained = {
            name: training.TrainedModel(
                training.load_model_file(folder / name / training.MODEL_FILE), model.record
            )
            for name, model in trained.items()
        }
    metrics, arrays = project.evaluate(config, datasets, plan, trained)
    results = results_lib.Results(
        project=project.name,
        config=config,
        metrics=metrics,
        arrays=arrays,
        training={name: model.record for name, model in trained.items()},
        plan=plan.to_json(),
        metadata=meta.run_metadata(
            config=config_lib.to_dict(config),
            seed=config.seed,
            preset=preset,
            data_source=datasets.source.as_dict(),
            wall_time_seconds=time.perf_counter() - start,
        ),
    )
    results.metadata["distribution"] = distribution.describe(config.batch_size)
    results_lib.save(results, folder / "results")
    # The report is built from the saved form, so `report` rebuilds exactly this page later.
    results = results_lib.round_trip(results)
    return results, publish(project.build_report, results, reports_dir)


def results_folder(project, config, workdir, preset):
    """Where `run` with this preset and config saves its results."""
    return training.run_dir(workdir, project.name, preset, config) / "results"


def tested_model_folder(project_name, config, workdir, preset):
    """The folder of the model that the run with this preset and config tested (for `predict`);
    FileNotFoundError naming the command that trains it when there is none."""
    folder = training.run_dir(workdir, project_name, preset, config)
    metrics_path = folder / "results" / results_lib.METRICS_FILE
    if not metrics_path.exists():
        raise FileNotFoundError(
            f"No trained model for this preset and config ({metrics_path} is missing). Train it "
            f"first with the same flags: python -m projects.{project_name} --preset {preset} "
            "(plus the same --set, --workdir and --data-dir options)."
        )
    saved = json.loads(metrics_path.read_text(encoding="utf-8"))
    tested = saved["metrics"].get("tested_model") or saved["plan"].get("headline")
    return folder / tested


def rebuild_report(project, folder, reports_dir=DEFAULT_REPORTS):
    """Rebuilds and publishes the report of the results saved in `folder`, without training."""
    results = results_lib.load(folder, project.config_class)
    results.metadata["report_rebuilt"] = {
        "git": meta.GIT_AT_START,
        "timestamp_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    return results, publish(project.build_report, results, reports_dir)


def publish(build_report, results, reports_dir):
    """Writes REPORTS/<project>/ (page, results, config, headline history), then the index."""
    report = build_report(results)
    tested = results.metrics.get("tested_model") or results.plan.get("headline")
    history = (results.training.get(tested) or {}).get("history")
    path = report.write(
        pathlib.Path(reports_dir) / results.project,
        results=results.to_json(),
        arrays=results.arrays_npz(),
        history=history,
    )
    index.write_index(reports_dir)
    return path


def tune(project, config, *, workdir="runs", reports_dir=DEFAULT_REPORTS, preset="custom",
         fresh=False, max_trials=None):  # fmt: skip
    """Runs (or resumes) the project's Keras Tuner search and publishes its report."""
    if project.hyperparameters is None:
        raise ValueError(f"{project.name} has no tuner search.")
    start = time.perf_counter()
    training.set_seed(config.seed)
    datasets = project.load_datasets(config)
    if project.adapt_config is not None:
        config = project.adapt_config(config, datasets)
    summary = tuning.search(
        project, config, datasets,
        directory=pathlib.Path(workdir) / project.name / f"tune-{preset}",
        max_trials=max_trials, overwrite=fresh,
    )  # fmt: skip
    results = results_lib.Results(
        project=f"{project.name}-tuning",
        config=config,
        metrics=summary,
        arrays={},
        training={},
        plan={},
        metadata=meta.run_metadata(
            config=config_lib.to_dict(config),
            seed=config.seed,
            preset=preset,
            data_source=datasets.source.as_dict(),
            wall_time_seconds=time.perf_counter() - start,
        ),
    )
    if tuning.is_worker():
        return results, None  # The chief reports the whole search.
    return results, publish(tuning.build_report, results_lib.round_trip(results), reports_dir)
