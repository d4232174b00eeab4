"""The ablation sections of the sentiment report: one per idea, each with its table and plots."""

import numpy as np

from common.nn import curriculum
from common.report import plots
from projects.sentiment_lstm import plan

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
    report.add_table(COLUMNS, cells, caption=caption)


def _start(report, ablation, text, rows, variants):
    report.add_section(plan.TITLES[ablation], text)
    add_variant_table(
        report, rows, variants, "Same data, epoch budget and seed for every row; validation "
        "numbers at each model's early-stopping point.",
    )  # fmt: skip


def _step_curves(results, rows, key):
    curves = {}
    for label, name in rows:
        values = results[name].get("steps", {}).get(key)
        if values:
            curves[label] = (np.arange(1, len(values) + 1), values)
    return curves


def add_cells(report, config, rows, variants, results, insights):
    _start(
        report, "cells",
        "A SimpleRNN multiplies its state by the same matrix at every step, so the gradient "
        "reaching early words shrinks or grows geometrically (Section 10.7): it struggles to carry "
        "a verdict across hundreds of words. The LSTM (10.10.1) and GRU (10.10.2) add gated "
        "self-loops that let information and gradient flow unchanged for many steps; a "
        "bidirectional LSTM (10.3) also reads the review backwards. All keep their last state.",
        rows, variants,
    )  # fmt: skip
    report.add_figure(
        plots.compare_curves(
            {label: results[name]["history"]["val_accuracy"] for label, name in rows},
            "validation accuracy",
        ),
        caption="Validation accuracy per epoch for each recurrent cell.",
    )
    curves = _step_curves(results, rows, "gradient_norm")
    if curves:
        report.add_figure(
            plots.xy_curves(curves, "training step", "gradient norm ||g||", log_y=True),
            caption="Norm of the whole loss gradient at every training step (before any "
            "clipping). A gradient that stays tiny means the loss hardly depends on most weights "
            "any more; spikes are the exploding gradients of Section 10.7.",
        )

    positions = insights["position_gradients"]
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
        )  # fmt: skip


def add_clipping(report, config, rows, variants, results, insights):
    _start(
        report, "clipping",
        "A SimpleRNN, whose loss surface has cliffs (Section 10.11.1, Figure 10.17): on a few "
        "steps the gradient norm jumps by orders of magnitude (plot below), and one step off a "
        "cliff can throw the weights far away. Clipping rescales the gradient g to g c / ||g|| "
        f"whenever ||g|| > c = {config.clipnorm:g}, keeping its direction. Adam does not protect "
        "against cliffs by itself: it divides by a running root-mean-square of past gradients "
        "that lags a sudden spike, so the spike's direction gets steps about 3x the usual size "
        "for several steps in a row. Both rows share everything else (the unclipped row is the "
        "SimpleRNN of the cells table).",
        rows, variants,
    )  # fmt: skip
    norms = _step_curves(results, rows, "gradient_norm")
    if norms:
        report.add_figure(
            plots.xy_curves(
                norms, "training step", "gradient norm ||g|| (before clipping)", log_y=True,
                reference=(config.clipnorm, f"clipping threshold c = {config.clipnorm:g}"),
            ),
            caption="Raw gradient norm per step. Above the dotted line the clipped run rescaled "
            "its step; the unclipped run took it in full.",
        )  # fmt: skip
    losses = _step_curves(results, rows, "loss")
    if losses:
        report.add_figure(
            plots.xy_curves(losses, "training step", "training loss (running mean in the epoch)"),
            caption="Training loss per step of both runs.",
        )


def add_dropout(report, config, rows, variants, results, insights):
    _start(
        report, "dropout",
        f"Dropout (Section 7.12) at rate {config.dropout_rate:g} in two places: on the inputs of "
        "the LSTM and on its output, where it never touches the recurrence, or on the recurrent "
        "state h_(t-1) at every step, with one mask per sequence (Gal and Ghahramani, 2016), "
        "which regularizes the memory itself but makes each step costlier.",
        rows, variants,
    )  # fmt: skip
    report.add_figure(
        plots.compare_curves(
            {label: results[name]["history"]["val_loss"] for label, name in rows}, "validation loss"
        ),
        caption="Validation loss per epoch: rising curves are overfitting.",
    )


def add_attention(report, config, rows, variants, results, insights):
    _start(
        report, "attention",
        "The last state must summarize the whole review. Attention pooling scores every state, "
        "turns the scores into weights with a softmax over the real (unmasked) words and "
        "averages the states with them (Section 12.4.5.1; common/nn/attention.py), so a telling "
        "word far from the end can still decide the verdict.",
        rows, variants,
    )  # fmt: skip
    samples = insights["attention_samples"]
    if samples:
        report.add_text_samples(
            samples,
            caption=f"Test reviews, each word shaded by the attention weight "
            f"{insights['attention_model']} gave it (darker: more weight; hover for the value). "
            "Words are shown as the model saw them: lowercased, without punctuation, [UNK] for "
            "words outside the vocabulary.",
            max_chars=0,
        )


def add_curriculum(report, config, rows, variants, results, insights):
    scheduler = curriculum.CurriculumScheduler(
        [0.0], pacing=config.curriculum_pacing, start_fraction=config.curriculum_start_fraction,
        full_data_epoch=config.curriculum_full_data_epoch,
    )  # fmt: skip
    fractions = ", ".join(f"{scheduler.fraction(epoch):.0%}" for epoch in range(config.epochs))
    _start(
        report, "curriculum",
        "Curriculum learning (Section 8.7.6) shows easy examples first. Here easy means short: "
        f"epoch by epoch the curriculum admits the shortest {fractions} of the training reviews "
        f"({config.curriculum_pacing} pacing), and every epoch takes the same number of steps. "
        "The comparison run uses the same pipeline with every review admitted from the start "
        "(random order). Short batches are also cheaper, so the curriculum's early epochs run "
        "faster: the curves put accuracy against wall time.",
        rows, variants,
    )  # fmt: skip
    report.add_figure(
        plots.xy_curves(
            {
                label: (results[name]["history"]["elapsed_time"],
                        results[name]["history"]["val_accuracy"])
                for label, name in rows
            },
            "wall time since the start of training (s)", "validation accuracy",
        ),
        caption="Validation accuracy after each epoch against the time spent training.",
    )  # fmt: skip


def add_length(report, config, rows, variants, results, insights):
    _start(
        report, "length",
        "The recurrent network runs one step per token, so reading more of each review costs time "
        "in proportion; the reviews' endings, where verdicts often sit, need long cut-offs.",
        rows, variants,
    )  # fmt: skip
    lengths = list(config.length_choices)
    names = [name for _, name in rows]
    report.add_figure(
        plots.line_plot(
            lengths, {"validation accuracy": [variants[name]["val_accuracy"] for name in names]},
            "tokens read per review", "validation accuracy",
        ),
        caption="Validation accuracy against the cut-off.",
    )  # fmt: skip
    report.add_figure(
        plots.line_plot(
            lengths, {"wall time (s)": [variants[name]["wall_time_seconds"] for name in names]},
            "tokens read per review", "training wall time (s)",
        ),
        caption="Training time against the cut-off.",
    )  # fmt: skip


def add_neighbours(report, insights):
    neighbours = insights["neighbours"]
    if not neighbours:
        return
    report.add_section(
        "Representation learning: the embedding space",
        f"The embedding layer of {insights['embedding_model']} learned one vector per word only "
        "to predict sentiment (Section 15.1). Its nearest neighbours by cosine similarity show "
        "what it learned: words that push the verdict the same way end up close together.",
    )
    report.add_table(
        ["word", "nearest neighbours (cosine similarity)"],
        [
            [word, ", ".join(f"{other} ({similarity:.2f})" for other, similarity in close)]
            for word, close in neighbours.items()
        ],
    )


ADD = {
    "cells": add_cells,
    "clipping": add_clipping,
    "dropout": add_dropout,
    "attention": add_attention,
    "curriculum": add_curriculum,
    "length": add_length,
}
