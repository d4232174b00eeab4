"""Train every hidden-unit variant, pick one on validation data, test it once, write the report."""

import math
import pathlib
import time

import numpy as np

from common import report as report_lib
from common import training, tuning
from projects.image_classification import data, model
from projects.image_classification import report as project_report

PROJECT = "image_classification"


def run(config, workdir, *, reports_dir="reports", preset="custom", fresh=False):
    """Trains, evaluates and reports; returns the metrics dict written to metrics.json."""
    start = time.perf_counter()
    folder = training.prepare_run(config, workdir, PROJECT, preset, fresh)
    datasets = data.load_datasets(config)
    steps_per_epoch = math.ceil(datasets.train_size / config.batch_size)
    models, results = {}, {}
    for hidden in config.hidden_units:
        training.set_seed(config.seed)  # Same initial randomness for every variant.
        models[hidden], results[hidden] = training.train_variant(
            hidden,
            lambda hidden=hidden: model.build_model(config, hidden, steps_per_epoch),
            datasets.train,
            datasets.validation,
            config=config,
            folder=folder / hidden,
            probe_data=datasets.probe,
        )
    variants = summarize_variants(results)
    chosen = max(variants, key=lambda name: variants[name]["val_accuracy"])
    evaluation = evaluate_once(models[chosen], datasets)
    metrics = {
        "test_accuracy": evaluation["accuracy"],
        "test_loss": evaluation["loss"],
        "chosen_variant": chosen,
        "variants": variants,
        "training_time_seconds": sum(v["wall_time_seconds"] for v in variants.values()),
    }
    report = project_report.build(config, datasets, results, chosen, evaluation, metrics)
    path = report_lib.publish(
        report,
        reports_dir,
        project=PROJECT,
        config=config,
        preset=preset,
        data_source=datasets.source,
        wall_time_seconds=time.perf_counter() - start,
        metrics=metrics,
        history=results[chosen]["history"],
    )
    metrics["summary"] = f"test accuracy {metrics['test_accuracy']:.4f} ({chosen}); report: {path}"
    return metrics


def evaluate_once(chosen_model, datasets):
    """The single use of the test set: loss, accuracy and every prediction, for the report."""
    loss, accuracy = chosen_model.evaluate(datasets.test, verbose=0)
    probabilities = chosen_model.predict(datasets.test, verbose=0)
    return {
        "loss": float(loss),
        "accuracy": float(accuracy),
        "probabilities": probabilities,
        "predictions": np.argmax(probabilities, axis=1),
    }


def summarize_variants(results):
    """Validation numbers of each variant at its early-stopping point (the weights it kept)."""
    variants = {}
    for name, result in results.items():
        history = result["history"]
        best = result["early_stopping"]["best_epoch"]
        variants[name] = {
            "parameters": result["parameters"],
            "val_accuracy": history["val_accuracy"][best],
            "val_loss": history["val_loss"][best],
            "best_epoch": best + 1,
            "epochs_run": len(history["val_loss"]),
            "wall_time_seconds": result["wall_time_seconds"],
        }
    return variants


def tune(config, workdir, *, reports_dir="reports", preset="custom", fresh=False, max_trials=None):
    """Hyperband search over depth-free knobs of the CNN (width, unit, dropout, learning rate)."""
    training.set_seed(config.seed)
    datasets = data.load_datasets(config)
    steps_per_epoch = math.ceil(datasets.train_size / config.batch_size)
    result = tuning.search(
        model.build_hypermodel(config, steps_per_epoch),
        datasets.train,
        datasets.validation,
        directory=pathlib.Path(workdir) / PROJECT / f"tune-{preset}",
        max_epochs=config.epochs,
        seed=config.seed,
        max_trials=max_trials,
        overwrite=fresh,
    )
    tuning.write_report(result, PROJECT, config, preset, datasets.source, reports_dir)
    return {"summary": f"best {result['objective']} {result['best_score']:.4f}"}
