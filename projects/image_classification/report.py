"""What the image-classification report shows, in the order a reader needs it."""

import numpy as np

from common.report import plots
from common.report import report as report_lib
from projects.image_classification import report_sections as sections

TITLES = {"fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}


def build(config, datasets, specs, results, evaluation, metrics):
    """Returns a `common.report.Report` with every section filled from this run's numbers."""
    title = TITLES[config.dataset]
    report = report_lib.Report(
        "image_classification",
        f"Image classification with CNNs ({title})",
        "A convolutional network (book Chapter 9) trained with the whole budget, then ablations "
        "that change one thing at a time on a smaller shared budget: the hidden unit, the "
        "optimizer, the regularizer, the architecture, a second task. Models are compared on "
        "a validation split carved from the training set; only the headline model sees the "
        "test set, once, at the end."
        + (
            ""
            if config.ablations
            else " This run trained the headline model only (its ablations list is empty)."
        ),
    )
    report_lib.add_run_banners(report, datasets.source, results)
    name = metrics["headline_variant"]
    report.add_metric("test accuracy", metrics["test_accuracy"], headline=True)
    report.add_metric("test cross-entropy", metrics["test_loss"])
    if config.uses_test_time_augmentation():
        report.add_metric(
            "test accuracy without test-time augmentation",
            metrics["test_accuracy_without_augmentation"],
        )
    report.add_metric("parameters", results[name]["parameters"], fmt="{:,}")
    seconds = metrics["headline_training_time_seconds"]
    report.add_metric("headline training time (s)", seconds, fmt="{:.0f}")
    sections.add_recipe(report, config, specs[name])
    add_learning_curves(report, results[name], metrics["variants"][name])
    sections.add_ablations(report, config, datasets, specs, results, metrics)
    add_test_results(report, datasets, evaluation, config)
    report.add_section(
        "Data",
        f"{datasets.source.describe()}. {datasets.train_size:,} training and "
        f"{datasets.validation_size:,} validation images (carved from the training set with a "
        f"seeded, stratified split), {len(datasets.test_labels):,} test images."
        + (
            f" Ablation models train on a seeded subset of {datasets.ablation_size():,} "
            "training images."
        )
        * bool(config.ablations),
    )
    return report


def add_learning_curves(report, result, summary):
    stopping = result["early_stopping"]
    first = summary["first_recorded_epoch"]
    report.add_section(
        "Learning curves of the headline model",
        "Training and validation curves. The dashed line is the validation set, which early "
        f"stopping watches (Section 7.8): {stopping['stop_reason']}"
        + f" This training was resumed: the curves start at its epoch {first}."
        * (first > 1),
    )
    report.add_figure(
        plots.learning_curves(result["history"], best_epoch=summary["best_epoch"] - first + 1),
        caption="Solid: training; dashed: validation; vertical line: the epoch kept.",
    )


def add_test_results(report, datasets, evaluation, config):
    labels, predictions = datasets.test_labels, evaluation["predictions"]
    names = list(datasets.class_names)
    flip = f" (mean of the predictions on {sections.test_time_views(config)})" * (
        config.uses_test_time_augmentation()
    )
    report.add_section(
        "Test set (used once)",
        "The test set was touched exactly once, by the headline model after all training and "
        "every choice were done on validation data, so its accuracy is an unbiased estimate "
        f"of the generalization error (Section 5.3){flip}.",
    )
    counts = plots.confusion_counts(labels, predictions, len(names))
    report.add_figure(plots.confusion_matrix(counts, names), caption="Rows: true class.")
    per_class = counts.diagonal() / np.maximum(counts.sum(axis=1), 1)
    report.add_table(
        ["class", "test images", "accuracy"],
        [[name, int(counts[i].sum()), float(per_class[i])] for i, name in enumerate(names)],
        caption="Per-class accuracy: where the errors concentrate.",
    )
    wrong = np.flatnonzero(predictions != labels)
    confidence = evaluation["probabilities"][wrong, predictions[wrong]]
    worst = wrong[np.argsort(-confidence)][:32]
    report.add_image_grid(
        datasets.test_images[worst],
        [
            f"{names[predictions[i]]} {evaluation['probabilities'][i, predictions[i]]:.0%}\n"
            f"(true: {names[labels[i]]})"
            for i in worst
        ],
        caption="The most confident mistakes: predicted class and confidence, true class.",
        label_colors=["#b00020"] * len(worst),
    )
