"""What the trained CNNs are scored on: every model on validation numbers at its kept epoch, and
the headline model on the test set, once, at the end.

`evaluate` returns the metrics (numbers for tables) and the arrays (predictions and the most
confident mistakes, for figures) that the report is drawn from.
"""

import numpy as np

from common.experiment import training
from projects.image_classification import ablations, data

MISTAKES_SHOWN = 32  # The report's grid of most confident mistakes (a picture, not a number).


def evaluate(config, datasets, plan, trained):
    """Summarizes every model's training, then tests the headline model once."""
    variants = {
        name: summarize(trained[name].record, model_config)
        for name, model_config in plan.models.items()
    }
    name = plan.headline
    tested = test_once(trained[name].model, datasets, config)
    metrics = {
        "test_accuracy": tested["accuracy"],
        "test_loss": tested["loss"],
        "test_accuracy_without_augmentation": tested["accuracy_without_augmentation"],
        "test_time_views": tested["views"],
        "headline_variant": name,
        "tested_model": name,
        "variants": variants,
        "class_names": list(datasets.class_names),
        "train_images": datasets.train_size,
        "validation_images": datasets.validation_size,
        "test_images": len(datasets.test_labels),
        "ablation_images": len(datasets.train_images(ablations.base_config(config))[1]),
        "headline_training_time_seconds": trained[name].record["wall_time_seconds"],
        "training_time_seconds": sum(t.record["wall_time_seconds"] for t in trained.values()),
        "summary": f"test accuracy {tested['accuracy']:.4f}",
    }
    return metrics, mistakes(datasets, tested)


def summarize(record, config):
    """One model in numbers at its early-stopping point: accuracy, train/validation gap, cost."""
    summary = training.summarize(record, config.epochs)
    history = record["history"]
    key = "class_accuracy" if "class_accuracy" in history else "accuracy"
    if summary["best_epoch"] is None:  # The loss was never finite (a diverged optimizer).
        summary["best_epoch"] = summary["epochs_run"]
    index = summary["best_epoch"] - summary["first_recorded_epoch"]
    summary["val_accuracy"] = history[f"val_{key}"][index]
    summary["train_accuracy"] = history[key][index]
    if "group_accuracy" in history:
        summary["val_group_accuracy"] = history["val_group_accuracy"][index]
    summary["learning_rate"] = config.learning_rate
    return summary


def test_once(chosen_model, datasets, config):
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


def mistakes(datasets, tested):
    """The test labels and predictions, and the most confident mistakes: their images, the
    predicted and true classes and the confidence of the (wrong) prediction."""
    labels, predictions = datasets.test_labels, tested["predictions"]
    wrong = np.flatnonzero(predictions != labels)
    confidence = tested["probabilities"][wrong, predictions[wrong]]
    worst = wrong[np.argsort(-confidence)][:MISTAKES_SHOWN]
    return {
        "test_labels": labels,
        "test_predictions": predictions,
        "mistake_images": datasets.test_images[worst],
        "mistake_labels": labels[worst],
        "mistake_predictions": predictions[worst],
        "mistake_confidences": tested["probabilities"][worst, predictions[worst]],
    }
