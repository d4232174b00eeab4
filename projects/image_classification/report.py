"""The image-classification report, drawn from a run's saved results only.

Sections in reading order: the headline model and its recipe, its learning curves, one section
per ablation, the test set (used once), the data. Each figure and table names the function that
computed it and the one that drew it.
"""

import numpy as np

from common.nn import recorder
from common.report import plots, sentences
from common.report import report as report_lib
from projects.image_classification import evaluate, report_sections

TITLES = {"fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}
SUMMARY = (
    "A convolutional network (book Chapter 9) trained with the whole budget, then ablations "
    "that change one thing at a time on a smaller shared budget: the hidden unit, the "
    "optimizer, the regularizer, the architecture, a second task. Models are compared on "
    "a validation split carved from the training set; only the headline model sees the "
    "test set, once, at the end."
)


def build_report(results):
    """Returns a `common.report.Report` with every section filled from the saved results."""
    config, metrics = results.config, results.metrics
    summary = SUMMARY
    if not config.ablations:
        summary += " This run trained the headline model only (its ablations list is empty)."
    report = report_lib.Report(
        "image_classification",
        f"Image classification with CNNs ({TITLES[config.dataset]})",
        summary,
    )
    report_lib.add_run_banners(report, results)
    name = metrics["headline_variant"]
    report.add_metric("test accuracy", metrics["test_accuracy"], headline=True)
    report.add_metric("test cross-entropy", metrics["test_loss"])
    if config.uses_test_time_augmentation():
        report.add_metric(
            "test accuracy without test-time augmentation",
            metrics["test_accuracy_without_augmentation"],
        )
    report.add_metric("parameters", metrics["variants"][name]["parameters"], fmt="{:,}")
    seconds = metrics["headline_training_time_seconds"]
    report.add_metric("headline training time (s)", seconds, fmt="{:.0f}")
    report_sections.add_recipe(report, config)
    add_learning_curves(report, results)
    report_sections.add_ablations(report, config, results)
    add_test_results(report, config, results)
    report.add_section(
        "Data",
        f"{results.data_source.get('description', '')}. {metrics['train_images']:,} training "
        f"and {metrics['validation_images']:,} validation images (carved from the training set "
        f"with a seeded, stratified split), {metrics['test_images']:,} test images."
        + f" Ablation models train on a seeded subset of {metrics['ablation_images']:,} "
        "training images." * bool(config.ablations),
    )
    return report


def add_learning_curves(report, results):
    name = results.metrics["headline_variant"]
    summary, record = results.metrics["variants"][name], results.training[name]
    first = summary["first_recorded_epoch"]
    report.add_section(
        "Learning curves of the headline model",
        "Training and validation curves. The dashed line is the validation set, which early "
        f"stopping watches (Section 7.8): {record['early_stopping']['stop_reason']} "
        + sentences.early_stopping([record])
        + f" This training was resumed: the curves start at its epoch {first}." * (first > 1),
    )
    report.add_figure(
        plots.learning_curves(record["history"], best_epoch=summary["best_epoch"] - first + 1),
        caption="Solid: training; dashed: validation; vertical line: the epoch kept.",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.learning_curves,
    )


def add_test_results(report, config, results):
    arrays, names = results.arrays, results.metrics["class_names"]
    labels, predictions = arrays["test_labels"], arrays["test_predictions"]
    views = f" (mean of the predictions on {report_sections.test_time_views(config)})"
    report.add_section(
        "Test set (used once)",
        "The test set was touched exactly once, by the headline model after all training and "
        "every choice were done on validation data, so its accuracy is an unbiased estimate "
        "of the generalization error (Section 5.3)"
        + views * config.uses_test_time_augmentation()
        + ".",
    )
    counts = plots.confusion_counts(labels, predictions, len(names))
    report.add_figure(
        plots.confusion_matrix(counts, names),
        caption="Rows: true class.",
        computed_by=evaluate.test_once,
        drawn_by=plots.confusion_matrix,
    )
    per_class = counts.diagonal() / np.maximum(counts.sum(axis=1), 1)
    report.add_table(
        ["class", "test images", "accuracy"],
        [[name, int(counts[i].sum()), float(per_class[i])] for i, name in enumerate(names)],
        caption="Per-class accuracy: where the errors concentrate.",
        computed_by=evaluate.test_once,
    )
    predicted, true = arrays["mistake_predictions"], arrays["mistake_labels"]
    confidences = arrays["mistake_confidences"]
    report.add_image_grid(
        arrays["mistake_images"],
        [
            f"{names[p]} {c:.0%}\n(true: {names[t]})"
            for p, t, c in zip(predicted, true, confidences, strict=True)
        ],
        caption="The most confident mistakes: predicted class and confidence, true class.",
        label_colors=["#b00020"] * len(predicted),
        computed_by=evaluate.mistakes,
    )
