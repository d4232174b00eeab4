"""The sections of the image-classification report after its headline: the recipe and one per
ablation, each drawn from saved results only."""

import numpy as np

from common.nn import recorder
from common.report import plots, sentences
from projects.image_classification import ablations, data, evaluate

UNIT_FORMULAS = {
    "relu": "g(z) = max(0, z)",
    "leaky_relu": "g(z) = max(0, z) + 0.01 min(0, z)  (fixed alpha)",
    "abs_relu": "g(z) = |z|  (alpha = -1)",
    "prelu": "g(z) = max(0, z) + alpha min(0, z), alpha learned per channel",
    "maxout": "g(z)_i = max over k pieces of z  (k linear pieces per unit)",
}
NOTES = {
    "hidden_units": "Same layers, only g differs. Maxout needs k times the affine outputs.",
    "optimizers": "Same model and schedule; each optimizer at its usual learning rate "
    "(shown). The training-loss curves are on one plot below.",
    "regularization": "Each regularizer alone, added to a bare model (no batch norm, dropout, "
    "penalty or augmentation). 'gap' is training minus validation accuracy at the epoch kept: "
    "what a regularizer is meant to shrink.",
    "architecture": "Residual vs plain at equal depth (the same convolutions, with or without "
    "the f(x) + x shortcut); same vs valid padding; max pooling vs a stride-2 convolution; and "
    "one feature layer three ways, same output shape: a convolution shares one kernel across "
    "positions, a tiled convolution cycles 4 kernel sets, a dense layer shares nothing.",
    "multitask": "One shared trunk; the multi-task model adds a second softmax head that "
    "predicts the coarse group ({groups}). Both losses are summed; accuracy is the 10-class "
    "head's.",
}
CURVE_CAPTIONS = {
    "loss": "Training loss per epoch, every row on one plot",
    "val_loss": "Validation loss per epoch, every row on one plot",
}


def test_time_views(config):
    """The test-time views in words, e.g. "6 views: the image and 2 copies shifted by 1 px..."."""
    views = len(data.test_time_views(np.zeros((1, 4, 4, 1)), config))
    parts = ["the image"]
    pixels = config.test_time_shift_pixels()
    if pixels:
        parts.append(f"2 copies shifted diagonally by -{pixels} and +{pixels} px")
    words = " and ".join(parts)
    if config.uses_test_time_flip():
        words += ", each also mirrored" if pixels else " and its mirror"
    return f"{views} views: {words}"


def add_recipe(report, config):
    """What the headline model is and which fast-training tricks it used."""
    stages = ", ".join(
        f"{width} filters + {count} residual block(s)"
        for width, count in zip(config.widths, config.residual_blocks, strict=True)
    )
    schedule = (
        f"linear warm-up over {config.warmup_epochs:g} epoch(s) then cosine decay to 0"
        if config.schedule == "cosine"
        else "constant learning rate"
    )
    augmentation = f"augmentation in tf.data: shifts up to {config.shift()} px" + (
        " + horizontal flips" if config.uses_flip() else ""
    )
    tricks = [
        f"{config.architecture} CNN ({stages}), {config.hidden_unit} units, batch normalization",
        f"{config.optimizer} at peak learning rate {config.learning_rate:g}, {schedule}",
        f"label smoothing {config.label_smoothing:g}, {config.penalty} penalty "
        f"{config.penalty_weight:g}, dropout {config.dropout_rate:g}",
        augmentation if config.augment else "no augmentation",
        f"test-time augmentation: predictions averaged over {test_time_views(config)}"
        if config.uses_test_time_augmentation()
        else "no test-time augmentation",
        f"XLA {'on' if config.jit_compile else 'off'}; channels-last; tf.data cache + prefetch",
    ]
    report.add_section(
        "The headline model and its recipe",
        f"Trained on the whole training part for up to {config.epochs} epochs, batch "
        f"{config.batch_size}. Tricks used: " + "; ".join(tricks) + ".",
    )


def add_ablations(report, config, results):
    """One section per ablation: a table (parameters and wall time beside accuracy) and plots."""
    budget = (
        f"Budget of every row: {config.ablation_epochs} epoch(s) on "
        f"{results.metrics['ablation_images']:,} training images, seed {config.seed}, batch "
        f"{config.batch_size}, early stopping on validation loss (patience {config.patience})."
    )
    if config.patience >= config.ablation_epochs:
        budget += (
            f" With a patience of {config.patience} and {config.ablation_epochs} epoch(s), early "
            "stopping cannot end these trainings: it only keeps each one's best epoch."
        )
    groups = ", ".join(data.COARSE_GROUPS[config.dataset][1])
    variants = results.metrics["variants"]
    for ablation, rows in results.plan["tables"].items():
        accuracy = {label: variants[name]["val_accuracy"] for label, name in rows}
        records = [results.training[name] for _, name in rows]
        report.add_section(
            ablations.TITLES[ablation],
            NOTES[ablation].format(groups=groups)
            + " "
            + budget
            + f" Highest validation accuracy: {sentences.best(accuracy)}. "
            + sentences.early_stopping(records),
        )
        add_table(report, ablation, rows, results)
        add_plots(report, ablation, rows, results)


def add_table(report, ablation, rows, results):
    variants, models = results.metrics["variants"], results.plan["models"]
    columns = ["model", "parameters", "val accuracy", "train accuracy", "gap"]
    columns += ["best epoch", "wall time (s)"]
    extra = {
        "hidden_units": ("formula", lambda name: UNIT_FORMULAS[models[name]["hidden_unit"]]),
        "optimizers": ("learning rate", lambda name: variants[name]["learning_rate"]),
    }.get(ablation)
    table = []
    for label, name in rows:
        row = variants[name]
        cells = [label, row["parameters"], row["val_accuracy"], row["train_accuracy"]]
        cells += [row["train_accuracy"] - row["val_accuracy"], row["best_epoch"]]
        cells += [row["wall_time_seconds"]]
        if extra:
            cells.append(extra[1](name))
        if ablation == "multitask":
            cells.append(row.get("val_group_accuracy"))
        table.append(cells)
    columns += [extra[0]] if extra else []
    columns += ["val group accuracy"] if ablation == "multitask" else []
    report.add_table(
        columns,
        table,
        caption=f"Validation numbers at each model's kept epoch ({short_title(ablation)}).",
        computed_by=evaluate.summarize,
    )


def short_title(ablation):
    """ "Hidden units" of "Hidden units: ReLU vs ...": each caption names its own section."""
    return ablations.TITLES[ablation].split(":")[0]


def add_plots(report, ablation, rows, results):
    variants, labels = results.metrics["variants"], [label for label, _ in rows]
    report.add_figure(
        plots.bar_chart(
            labels,
            [variants[name]["val_accuracy"] for _, name in rows],
            "validation accuracy",
            annotations=[
                f"{variants[n]['parameters']:,} p, {variants[n]['wall_time_seconds']:.0f}s"
                for _, n in rows
            ],
        ),
        caption="Validation accuracy per row, with parameters (p) and wall time "
        f"({short_title(ablation)}).",
        computed_by=evaluate.summarize,
        drawn_by=plots.bar_chart,
    )
    if ablation == "regularization":
        gaps = [variants[n]["train_accuracy"] - variants[n]["val_accuracy"] for _, n in rows]
        report.add_figure(
            plots.bar_chart(labels, gaps, "train - validation accuracy"),
            caption="The generalization gap at the kept epoch: what regularization shrinks.",
            computed_by=evaluate.summarize,
            drawn_by=plots.bar_chart,
        )
    histories = {label: results.training[name]["history"] for label, name in rows}
    if ablation == "hidden_units" and all("gradient_norm" in h for h in histories.values()):
        report.add_figure(
            plots.compare_curves(
                {label: h["gradient_norm"] for label, h in histories.items()},
                "gradient L2 norm",
                log_y=True,
            ),
            caption="Norm of the loss gradient on a fixed validation batch after each epoch.",
            computed_by=recorder.TrainingRecorder,
            drawn_by=plots.compare_curves,
        )
    key = "loss" if ablation == "optimizers" else "val_loss"
    report.add_figure(
        plots.compare_curves(
            {label: history[key] for label, history in histories.items()},
            key.replace("_", " "),
        ),
        caption=f"{CURVE_CAPTIONS[key]} ({short_title(ablation)}).",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.compare_curves,
    )
