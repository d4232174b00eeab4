"""The ablation sections of the sentiment report: one per idea, each with its table and plots,
each drawn from saved results only."""

import numpy as np

from common.nn import gradients, recorder
from common.report import plots, sentences
from projects.sentiment_lstm import evaluate

TITLES = {
    "cells": "Recurrent cells: SimpleRNN vs LSTM vs GRU vs bidirectional",
    "clipping": "Gradient clipping (SimpleRNN, Adam)",
    "dropout": "Where dropout goes: inputs and outputs vs the recurrent state",
    "attention": "Attention pooling vs the last state",
    "curriculum": "Curriculum learning: short reviews first",
    "length": "How much of each review to read",
}

COLUMNS = [
    "variant",
    "model",
    "parameters",
    "val accuracy",
    "val loss",
    "best epoch",
    "wall time (s)",
]


def add_variant_table(report, rows, variants, caption):
    """One row per (label, model name): parameters, validation numbers and wall time."""
    cells = []
    for label, name in rows:
        row = variants[name]
        best = "—" if row["best_epoch"] is None else f"{row['best_epoch']} / {row['epochs_run']}"
        cells.append(
            [label, name, row["parameters"], row["val_accuracy"], row["val_loss"], best,
             f"{row['wall_time_seconds']:.1f}"]
        )  # fmt: skip
    report.add_table(COLUMNS, cells, caption=caption, computed_by=evaluate.summarize)


def start_ablation(report, ablation, text, rows, variants):
    report.add_section(TITLES[ablation], text)
    add_variant_table(
        report, rows, variants, "Same data, epoch budget and seed for every row; validation "
        "numbers at each model's early-stopping point.",
    )  # fmt: skip


def _history(results, rows, key):
    return {label: results.training[name]["history"][key] for label, name in rows}


def _step_curves(results, rows, key):
    curves = {}
    for label, name in rows:
        values = results.training[name].get("steps", {}).get(key)
        if values:
            curves[label] = (np.arange(1, len(values) + 1), values)
    return curves


def add_cells(report, results, rows):
    start_ablation(
        report, "cells",
        "A SimpleRNN multiplies its state by the same matrix at every step, so the gradient "
        "reaching early words shrinks or grows geometrically (Section 10.7): it struggles to carry "
        "a verdict across hundreds of words. The LSTM (10.10.1) and GRU (10.10.2) add gated "
        "self-loops that let information and gradient flow unchanged for many steps; a "
        "bidirectional LSTM (10.3) also reads the review backwards. All keep their last state. "
        f"Best here: {best_row(results, rows)}.",
        rows, results.metrics["variants"],
    )  # fmt: skip
    report.add_figure(
        plots.compare_curves(_history(results, rows, "val_accuracy"), "validation accuracy"),
        caption="Validation accuracy per epoch for each recurrent cell.",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.compare_curves,
    )
    curves = _step_curves(results, rows, "gradient_norm")
    if curves:
        report.add_figure(
            plots.xy_curves(curves, "training step", "gradient norm ||g||", log_y=True),
            caption="Norm of the whole loss gradient at every training step (before any "
            "clipping). A gradient that stays tiny means the loss hardly depends on most weights "
            "any more; spikes are the exploding gradients of Section 10.7.",
            computed_by=gradients.StepRecorder,
            drawn_by=plots.xy_curves,
        )
    positions = results.metrics["position_gradients"]
    if positions:
        report.add_figure(
            plots.xy_curves(
                {name: (np.arange(1, len(norm) + 1), norm) for name, norm in positions.items()},
                "position of the word in the review", "mean ||dL / d embedding||", log_y=True,
            ),
            caption="How much the loss of each trained model depends on the word at each position "
            "(validation reviews that fill the whole cut-off). A last-state model hears the last "
            "words best; a curve that falls by orders of magnitude towards the start is the "
            "vanishing gradient of Section 10.7: those words barely train the model.",
            computed_by=evaluate.gradient_by_position,
            drawn_by=plots.xy_curves,
        )  # fmt: skip


def best_row(results, rows):
    """The row with the best validation accuracy, e.g. "gru (0.883)"."""
    variants = results.metrics["variants"]
    return sentences.best({label: variants[name]["val_accuracy"] for label, name in rows})


def add_clipping(report, results, rows):
    threshold = results.config.clipping_threshold
    variants = results.metrics["variants"]
    (plain, plain_name), (clipped, clipped_name) = rows
    start_ablation(
        report, "clipping",
        "A SimpleRNN, whose loss surface has cliffs (Section 10.11.1, Figure 10.17): on a few "
        "steps the gradient norm jumps by orders of magnitude (plot below), and one step off a "
        "cliff can throw the weights far away. Clipping rescales the gradient g to g c / ||g|| "
        f"whenever ||g|| > c = {threshold:g}, keeping its direction. Adam does not protect "
        "against cliffs by itself: it divides by a running root-mean-square of past gradients "
        "that lags a sudden spike, so the spike's direction gets steps about 3x the usual size "
        "for several steps in a row. Both rows share everything else (the unclipped row is the "
        "SimpleRNN of the cells table). Here the "
        + sentences.compare(clipped, variants[clipped_name]["val_accuracy"], plain,
                            variants[plain_name]["val_accuracy"], what="validation accuracy")
        + ".",
        rows, variants,
    )  # fmt: skip
    norms = _step_curves(results, rows, "gradient_norm")
    if norms:
        report.add_figure(
            plots.xy_curves(
                norms, "training step", "gradient norm ||g|| (before clipping)", log_y=True,
                reference=(threshold, f"clipping threshold c = {threshold:g}"),
            ),
            caption="Raw gradient norm per step. Above the dotted line the clipped run rescaled "
            "its step; the unclipped run took it in full.",
            computed_by=gradients.StepRecorder,
            drawn_by=plots.xy_curves,
        )  # fmt: skip
    losses = _step_curves(results, rows, "loss")
    if losses:
        report.add_figure(
            plots.xy_curves(losses, "training step", "training loss (running mean in the epoch)"),
            caption="Training loss per step of both runs.",
            computed_by=gradients.StepRecorder,
            drawn_by=plots.xy_curves,
        )


def add_dropout(report, results, rows):
    start_ablation(
        report, "dropout",
        f"Dropout (Section 7.12) at rate {results.config.dropout_rate:g} in two places: on the "
        "inputs of the LSTM and on its output, where it never touches the recurrence, or on the "
        "recurrent state h_(t-1) at every step, with one mask per sequence (Gal and Ghahramani, "
        "2016), which regularizes the memory itself but makes each step costlier. Best here: "
        f"{best_row(results, rows)}.",
        rows, results.metrics["variants"],
    )  # fmt: skip
    report.add_figure(
        plots.compare_curves(_history(results, rows, "val_loss"), "validation loss"),
        caption="Validation loss per epoch: rising curves are overfitting.",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.compare_curves,
    )


def add_attention(report, results, rows):
    metrics = results.metrics
    start_ablation(
        report, "attention",
        "The last state must summarize the whole review. Attention pooling scores every state, "
        "turns the scores into weights with a softmax over the real (unmasked) words and "
        "averages the states with them (Section 12.4.5.1; common/nn/attention.py), so a telling "
        "word far from the end can still decide the verdict. Best here: "
        f"{best_row(results, rows)}.",
        rows, metrics["variants"],
    )  # fmt: skip
    if metrics["attention_samples"]:
        report.add_text_samples(
            metrics["attention_samples"],
            caption="Test reviews, each word shaded by the attention weight the best attention "
            "model on validation gave it (darker: more weight; hover for the value). Words are "
            "shown as the model saw them: lowercased, without punctuation, [UNK] for words "
            f"outside the vocabulary. Model: {metrics['attention_model']}.",
            max_chars=0,
            computed_by=evaluate.attention_samples,
        )


def add_neighbours(report, metrics):
    neighbours = metrics["neighbours"]
    if not neighbours:
        return
    report.add_section(
        "Representation learning: the embedding space",
        f"The embedding layer of {metrics['embedding_model']} (the best recurrent model on "
        "validation) learned one vector per word only to predict sentiment (Section 15.1). Its "
        "nearest neighbours by cosine similarity show what it learned: words that push the "
        "verdict the same way end up close together.",
    )
    report.add_table(
        ["word", "nearest neighbours (cosine similarity)"],
        [
            [word, ", ".join(f"{other} ({similarity:.2f})" for other, similarity in close)]
            for word, close in neighbours.items()
        ],
        computed_by=evaluate.nearest_neighbours,
    )
