"""Train the headline model and every ablation row, test the headline once, write the report."""

import dataclasses
import math
import pathlib
import time

import numpy as np

from common.experiment import training, tuning
from common.report import report as report_lib
from projects.image_classification import data, model, plan
from projects.image_classification import report as project_report

PROJECT = "image_classification"


def run(config, workdir, *, reports_dir="reports", preset="custom", fresh=False):
    """Trains, evaluates and reports; returns the metrics dict written to metrics.json."""
    start = time.perf_counter()
    folder = training.prepare_run(config, workdir, PROJECT, preset, fresh)
    datasets = data.load_datasets(config)
    specs = plan.training_plan(config)
    trained, results = train_all(config, datasets, specs, folder)
    headline = plan.headline_spec(config).name
    evaluation = evaluate_once(trained[headline], datasets, config)
    variants = {
        name: summarize(results[name], budget(config, spec)) for name, spec in specs.items()
    }
    metrics = {
        "test_accuracy": evaluation["accuracy"],
        "test_loss": evaluation["loss"],
        "test_accuracy_without_augmentation": evaluation["accuracy_without_augmentation"],
        "test_time_views": evaluation["views"],
        "headline_variant": headline,
        "variants": variants,
        "ablations": {
            ablation: [[label, spec.name] for label, spec in rows]
            for ablation, rows in plan.ablation_rows(config).items()
        },
        "headline_training_time_seconds": results[headline]["wall_time_seconds"],
        "training_time_seconds": sum(result["wall_time_seconds"] for result in results.values()),
    }
    report = project_report.build(config, datasets, specs, results, evaluation, metrics)
    path = report_lib.publish(
        report,
        reports_dir,
        project=PROJECT,
        config=config,
        preset=preset,
        data_source=datasets.source,
        wall_time_seconds=time.perf_counter() - start,
        metrics=metrics,
        history=results[headline]["history"],
    )
    metrics["summary"] = f"test accuracy {metrics['test_accuracy']:.4f}; report: {path}"
    return metrics


def budget(config, spec):
    """The headline trains for `epochs`; every ablation row for the same `ablation_epochs`."""
    return config if spec.headline else dataclasses.replace(config, epochs=config.ablation_epochs)


def train_all(config, datasets, specs, folder):
    """Trains (or reuses) each model of the plan from the same seed."""
    trained, results = {}, {}
    for name, spec in specs.items():
        limit = None if spec.headline else datasets.ablation_size()
        steps = math.ceil((limit or datasets.train_size) / config.batch_size)
        training.set_seed(config.seed)  # Same initial randomness for every model.
        trained[name], results[name] = training.train_variant(
            name,
            lambda spec=spec, steps=steps: model.build_model(config, spec, steps),
            datasets.train(spec.augment, spec.multitask, limit),
            datasets.validation(spec.multitask),
            config=budget(config, spec),
            folder=folder / name,
            probe_data=datasets.probe(spec.multitask),
        )
    return trained, results


def summarize(result, config):
    """One model in numbers at its early-stopping point: accuracy, train/validation gap, cost."""
    summary = training.summarize(result, config.epochs)
    history = result["history"]
    key = "class_accuracy" if "class_accuracy" in history else "accuracy"
    if summary["best_epoch"] is None:  # The loss was never finite (a diverged optimizer).
        summary["best_epoch"] = summary["epochs_run"]
    index = summary["best_epoch"] - summary["first_recorded_epoch"]
    summary["val_accuracy"] = history[f"val_{key}"][index]
    summary["train_accuracy"] = history[key][index]
    if "group_accuracy" in history:
        summary["val_group_accuracy"] = history["val_group_accuracy"][index]
    return summary


def evaluate_once(chosen_model, datasets, config):
    """The single use of the test set; with test-time augmentation, the mean of the predicted
    probabilities over x's views (data.test_time_views: mirror, small shifts)."""
    views = data.test_time_views(datasets.test_images, config)
    predictions = [chosen_model.predict(view, batch_size=500, verbose=0) for view in views]
    plain = predictions[0]
    probabilities = np.mean(predictions, axis=0)
    labels = datasets.test_labels
    picked = probabilities[np.arange(len(labels)), labels]
    return {
        "loss": float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0)))),
        "accuracy": float(np.mean(np.argmax(probabilities, axis=1) == labels)),
        "accuracy_without_augmentation": float(np.mean(np.argmax(plain, axis=1) == labels)),
        "views": len(views),
        "probabilities": probabilities,
        "predictions": np.argmax(probabilities, axis=1),
    }


def tune(config, workdir, *, reports_dir="reports", preset="custom", fresh=False, max_trials=None):
    """Hyperband over depth, width, hidden unit, dropout, learning rate and optimizer."""
    training.set_seed(config.seed)
    datasets = data.load_datasets(config)
    steps_per_epoch = math.ceil(datasets.train_size / config.batch_size)
    result = tuning.search(
        model.build_hypermodel(config, steps_per_epoch),
        datasets.train(config.augment),
        datasets.validation(),
        directory=pathlib.Path(workdir) / PROJECT / f"tune-{preset}",
        max_epochs=config.epochs,
        seed=config.seed,
        max_trials=max_trials,
        overwrite=fresh,
    )
    tuning.write_report(result, PROJECT, config, preset, datasets.source, reports_dir)
    return {"summary": f"best {result['objective']} {result['best_score']:.4f}"}
