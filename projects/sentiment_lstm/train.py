"""Train the baselines and every recurrent model of the plan, pick one on validation data, test it
once, save it for `predict`, and write the report."""

import dataclasses
import math
import pathlib
import time

import numpy as np

from common.experiment import training, tuning
from common.nn import gradients
from common.report import report as report_lib
from projects.sentiment_lstm import data, evaluate, hypermodel, model, plan, predict
from projects.sentiment_lstm import report as project_report

PROJECT = "sentiment_lstm"
LINEAR_NGRAMS = {"bag_of_words": 1, "bigrams": 2}


def run(config, workdir, *, reports_dir="reports", preset="custom", fresh=False):
    """Trains, evaluates and reports; returns the metrics dict written to metrics.json."""
    start = time.perf_counter()
    folder = training.prepare_run(config, workdir, PROJECT, preset, fresh)
    reviews = data.load_reviews(config)
    specs = plan.training_plan(config)
    models, results = train_baselines(config, reviews, folder)
    recurrent_models, recurrent_results = train_recurrent(config, reviews, specs, folder)
    models.update(recurrent_models)
    results.update(recurrent_results)
    variants = summarize(results, reviews)
    chosen = choose(variants)
    evaluation = evaluate.test_once(models[chosen], specs.get(chosen), reviews, config)
    predict.save_predictor(folder, models[chosen], specs.get(chosen), reviews)
    metrics = {
        "test_accuracy": evaluation["accuracy"],
        "test_loss": evaluation["loss"],
        "chosen_variant": chosen,
        "chosen_validation_accuracy": variants[chosen]["val_accuracy"],
        "headline_variant": plan.headline_spec(config).name,
        "variants": variants,
        "ablations": {
            ablation: [[label, spec.name] for label, spec in rows]
            for ablation, rows in plan.ablation_rows(config).items()
        },
        "training_time_seconds": sum(v["wall_time_seconds"] for v in variants.values()),
    }
    insights = evaluate.insights(config, reviews, models, specs, variants, evaluation)
    report = project_report.build(config, reviews, results, specs, evaluation, metrics, insights)
    path = report_lib.publish(
        report,
        reports_dir,
        project=PROJECT,
        config=config,
        preset=preset,
        data_source=reviews.source,
        wall_time_seconds=time.perf_counter() - start,
        metrics={**metrics, "neighbours": insights["neighbours"]},
        history=results[chosen]["history"],
    )
    metrics["summary"] = f"test accuracy {metrics['test_accuracy']:.4f} ({chosen}); report: {path}"
    return metrics


def train_baselines(config, reviews, folder):
    """The majority class (no model) and the logistic regressions on TF-IDF counts."""
    models, results = {}, {}
    linear_config = dataclasses.replace(config, epochs=config.linear_epochs)
    train_data = data.text_batches(
        reviews.train_texts, reviews.train_labels, config.batch_size, shuffle=True, seed=config.seed
    )
    validation = data.text_batches(
        reviews.validation_texts,
        reviews.validation_labels,
        config.batch_size,
        shuffle=False,
        seed=0,
    )
    for name in config.baselines:
        if name == "majority":
            results[name] = majority_result(reviews)
            continue
        training.set_seed(config.seed)
        models[name], results[name] = training.train_variant(
            name,
            lambda name=name: model.build_linear(config, LINEAR_NGRAMS[name], reviews.train_texts),
            train_data,
            validation,
            config=linear_config,
            folder=folder / name,
            probe_data=None,
        )
    return models, results


def majority_result(reviews):
    """Predict the most frequent training label for every review: the floor to beat."""
    majority = int(np.bincount(reviews.train_labels, minlength=2).argmax())
    return {
        "name": "majority",
        "parameters": 0,
        "wall_time_seconds": 0.0,
        "history": {},
        "val_accuracy": float(np.mean(reviews.validation_labels == majority)),
        "majority_label": majority,
    }


def train_recurrent(config, reviews, specs, folder):
    """Trains (or reuses) each recurrent model, logging the gradient norm of every step."""
    steps_per_epoch = math.ceil(len(reviews.train_labels) / config.batch_size)
    models, results = {}, {}
    for name, spec in specs.items():
        training.set_seed(config.seed)  # Same initial randomness for every model.
        train_data, scheduler = data.training_batches(reviews, spec.max_length, config, spec.order)
        validation, _ = data.evaluation_batches(
            reviews.validation_tokens,
            reviews.validation_labels,
            spec.max_length,
            config.batch_size,
            reviews.keep,
        )
        callbacks = {"steps": gradients.StepRecorder()}
        if scheduler is not None:
            callbacks["curriculum"] = scheduler
        models[name], results[name] = training.train_variant(
            name,
            lambda spec=spec: model.build_recurrent(config, spec, steps_per_epoch),
            train_data,
            validation,
            config=config,
            folder=folder / name,
            probe_data=None,
            callbacks=callbacks,
        )
    return models, results


def summarize(results, reviews):
    """Validation accuracy and loss of each model at its early-stopping point, with its cost."""
    variants = {}
    for name, result in results.items():
        if name == "majority":
            variants[name] = {
                "kind": "baseline",
                "parameters": 0,
                "val_accuracy": result["val_accuracy"],
                "val_loss": None,
                "best_epoch": None,
                "epochs_run": 0,
                "wall_time_seconds": 0.0,
            }
            continue
        history = result["history"]
        best = result["early_stopping"]["best_epoch"]
        best = len(history["val_loss"]) - 1 if best is None else best  # never improved: last
        variants[name] = {
            "kind": "baseline" if name in LINEAR_NGRAMS else "recurrent",
            "parameters": result["parameters"],
            "val_accuracy": history["val_accuracy"][best],
            "val_loss": history["val_loss"][best],
            "best_epoch": best + 1,
            "epochs_run": len(history["val_loss"]),
            "wall_time_seconds": result["wall_time_seconds"],
        }
    return variants


def choose(variants):
    """The trained model with the best validation accuracy (NaN counts as worst)."""
    trained = [name for name in variants if name != "majority"]

    def score(name):
        value = variants[name]["val_accuracy"]
        return -1.0 if value is None or math.isnan(value) else value

    return max(trained, key=score)


def tune(config, workdir, *, reports_dir="reports", preset="custom", fresh=False, max_trials=None):
    """Hyperband over encoder, units, embedding size, dropout, learning rate and review length."""
    training.set_seed(config.seed)
    reviews = data.load_reviews(config)
    steps_per_epoch = math.ceil(len(reviews.train_labels) / config.batch_size)
    width = max(config.length_choices)
    train_data, _ = data.training_batches(reviews, width, config)
    validation, _ = data.evaluation_batches(
        reviews.validation_tokens, reviews.validation_labels, width, config.batch_size, reviews.keep
    )
    result = tuning.search(
        hypermodel.SentimentHyperModel(config, steps_per_epoch),
        train_data,
        validation,
        directory=pathlib.Path(workdir) / PROJECT / f"tune-{preset}",
        max_epochs=config.epochs,
        seed=config.seed,
        max_trials=max_trials,
        overwrite=fresh,
    )
    tuning.write_report(result, PROJECT, config, preset, reviews.source, reports_dir)
    return {"summary": f"best {result['objective']} {result['best_score']:.4f}"}
