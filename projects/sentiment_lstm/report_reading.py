"""The report sections on what the models read: in which order (curriculum learning) and how
much of each review (the cut-off), each drawn from saved results only."""

from common.nn import curriculum, recorder
from common.report import plots, sentences
from projects.sentiment_lstm import evaluate
from projects.sentiment_lstm import report_sections as sections


def add_curriculum(report, results, rows):
    config, variants = results.config, results.metrics["variants"]
    scheduler = curriculum.CurriculumScheduler(
        [0.0], pacing=config.curriculum_pacing, start_fraction=config.curriculum_start_fraction,
        full_data_epoch=config.curriculum_full_data_epoch,
    )  # fmt: skip
    fractions = ", ".join(f"{scheduler.fraction(epoch):.0%}" for epoch in range(config.epochs))
    (random_label, random_name), (curriculum_label, curriculum_name) = rows
    sections.start_ablation(
        report, "curriculum",
        "Curriculum learning (Section 8.7.6) shows easy examples first. Here easy means short: "
        f"epoch by epoch the curriculum admits the shortest {fractions} of the training reviews "
        f"({config.curriculum_pacing} pacing), and every epoch takes the same number of steps. "
        "Short batches are also cheaper, so the curriculum's early epochs run faster: the curves "
        "put accuracy against wall time. Here the "
        + sentences.compare(curriculum_label, variants[curriculum_name]["val_accuracy"],
                            random_label, variants[random_name]["val_accuracy"],
                            what="validation accuracy")
        + ". " + random_order_note(results, random_name),
        rows, variants,
    )  # fmt: skip
    report.add_figure(
        plots.xy_curves(
            {
                label: (results.training[name]["history"]["elapsed_time"],
                        results.training[name]["history"]["val_accuracy"])
                for label, name in rows
            },
            "wall time since the start of training (s)", "validation accuracy",
        ),
        caption="Validation accuracy after each epoch against the time spent training.",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.xy_curves,
    )  # fmt: skip


def random_order_note(results, random_name):
    """Why the random-order row is not the base LSTM of the other tables, with both numbers."""
    variants = results.metrics["variants"]
    base = random_name.removesuffix("-random")
    text = (
        "The random-order model is the base LSTM trained through the curriculum's pipeline with "
        "every review admitted from the start, the curriculum's fair comparison: its batches mix "
        "reviews of any length, where the base LSTM of the other tables trains on batches of "
        "similar lengths (bucketed), so the two see different batches and score differently"
    )
    if base not in variants:
        return text + "."
    return (
        f"{text} ({variants[random_name]['val_accuracy']:.4f} against "
        f"{variants[base]['val_accuracy']:.4f} for {base})."
    )


def add_length(report, results, rows):
    variants = results.metrics["variants"]
    lengths = [results.plan["models"][name]["max_length"] for _, name in rows]
    times = [variants[name]["wall_time_seconds"] for _, name in rows]
    accuracies = [variants[name]["val_accuracy"] for _, name in rows]
    sections.start_ablation(
        report, "length",
        "The recurrent network runs one step per token, so reading more of each review costs "
        "more steps; the reviews' endings, where verdicts often sit, need long cut-offs. Here, "
        f"as the cut-off grows ({' -> '.join(str(n) for n in lengths)} tokens), training time "
        f"{sentences.proportional(lengths, times)} the cut-off "
        f"({' -> '.join(f'{t:.1f}' for t in times)} s) and "
        + sentences.trend("validation accuracy", accuracies)
        + ". Time is not steps alone: batches are cut to their longest review, so a review "
        "shorter than the cut-off costs the same at every cut-off, and the wall time of one "
        "run on a shared machine varies by several seconds.",
        rows, variants,
    )  # fmt: skip
    report.add_figure(
        plots.line_plot(lengths, {"validation accuracy": accuracies},
                        "tokens read per review", "validation accuracy"),
        caption="Validation accuracy against the cut-off.",
        computed_by=evaluate.summarize,
        drawn_by=plots.line_plot,
    )  # fmt: skip
    report.add_figure(
        plots.line_plot(lengths, {"wall time (s)": times},
                        "tokens read per review", "training wall time (s)"),
        caption="Training time against the cut-off.",
        computed_by=evaluate.summarize,
        drawn_by=plots.line_plot,
    )  # fmt: skip
