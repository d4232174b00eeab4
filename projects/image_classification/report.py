"""What the image-classification report shows, in the order a reader needs it."""

import numpy as np

from common import plots
from common import report as report_lib

UNIT_FORMULAS = {
    "relu": "g(z) = max(0, z)",
    "leaky_relu": "g(z) = max(0, z) + 0.01 min(0, z)",
    "abs_relu": "g(z) = |z|  (alpha = -1)",
    "prelu": "g(z) = max(0, z) + alpha min(0, z), alpha learned per channel",
    "maxout": "g(z)_i = max over k pieces of z  (k linear pieces per unit)",
}


def build(config, datasets, results, chosen, evaluation, metrics):
    """Returns a `common.report.Report` with every section filled from this run's numbers."""
    report = report_lib.Report(
        "image_classification",
        "Image classification: which hidden unit? (Fashion-MNIST CNN)",
        "A small convolutional network trained with each kind of hidden unit from Section 6.3 of "
        "the book, on the same data, budget and seed. The best one on validation data is then "
        "scored once on the test set.",
    )
    report_lib.add_run_banners(report, datasets.source, results)
    report.add_metric("test accuracy", metrics["test_accuracy"], headline=True)
    report.add_metric("test loss", metrics["test_loss"])
    report.add_metric("chosen hidden unit", chosen, fmt="{}")
    report.add_metric("training time (s)", metrics["training_time_seconds"], fmt="{:.0f}")
    add_hidden_units(report, results, metrics["variants"])
    add_learning_curves(report, results[chosen], chosen)
    add_test_results(report, datasets, evaluation, chosen)
    report.add_section(
        "Data",
        f"{datasets.source.describe()}. {datasets.train_size:,} training and "
        f"{datasets.validation_size:,} validation images (carved from the training set with a "
        f"seeded, stratified split), {len(datasets.test_labels):,} test images.",
    )
    return report


def add_hidden_units(report, results, variants):
    report.add_section(
        "Hidden units: ReLU vs modulated ReLU vs maxout",
        "Every variant has the same layers and differs only in g, the nonlinearity after each "
        "affine map. Maxout needs k times the affine outputs (k pieces per unit), so it pays in "
        "parameters and time; the table puts both beside each accuracy. Validation numbers are "
        "read at each model's early-stopping point, the weights it kept.",
    )
    rows = [
        [
            name,
            UNIT_FORMULAS.get(name, ""),
            row["parameters"],
            row["val_accuracy"],
            row["val_loss"],
            row["best_epoch"],
            row["epochs_run"],
            row["wall_time_seconds"],
        ]
        for name, row in variants.items()
    ]
    report.add_table(
        [
            "hidden unit",
            "formula",
            "parameters",
            "val accuracy",
            "val loss",
            "best epoch",
            "epochs run",
            "wall time (s)",
        ],
        rows,
        caption="Same data, epochs budget, seed and optimizer for every row.",
    )
    names = list(variants)
    report.add_figure(
        plots.bar_chart(
            names,
            [variants[name]["val_accuracy"] for name in names],
            "validation accuracy",
            annotations=[
                f"{variants[n]['parameters']:,} params, {variants[n]['wall_time_seconds']:.0f}s"
                for n in names
            ],
        ),
        caption="Validation accuracy per hidden unit, with parameters and wall time.",
    )
    report.add_figure(
        plots.compare_curves(
            {name: results[name]["history"]["val_loss"] for name in names}, "validation loss"
        ),
        caption="Validation loss per epoch for each hidden unit.",
    )
    if all("gradient_norm" in results[name]["history"] for name in names):
        report.add_figure(
            plots.compare_curves(
                {name: results[name]["history"]["gradient_norm"] for name in names},
                "gradient L2 norm",
                log_y=True,
            ),
            caption="Norm of the loss gradient on a fixed validation batch after each epoch.",
        )


def add_learning_curves(report, result, chosen):
    stopping = result["early_stopping"]
    report.add_section(
        f"Learning curves of the chosen model ({chosen})",
        "Training and validation curves. The dashed line is the validation set, which early "
        f"stopping watches (Section 7.8): {stopping['stop_reason']}",
    )
    report.add_figure(
        plots.learning_curves(result["history"], best_epoch=stopping["best_epoch_number"]),
        caption="Solid: training; dashed: validation; vertical line: the epoch kept.",
    )


def add_test_results(report, datasets, evaluation, chosen):
    labels, predictions = datasets.test_labels, evaluation["predictions"]
    names = list(datasets.class_names)
    report.add_section(
        "Test set (used once)",
        f"The test set was touched exactly once, after {chosen} was chosen on validation data, "
        "so its accuracy is an unbiased estimate of the generalization error (Section 5.3).",
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
