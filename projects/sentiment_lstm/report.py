"""The sentiment report, drawn from a run's saved results only.

Sections in reading order: the data, why a sigmoid, the baselines, the headline model, one
section per ablation (report_sections.py), the embedding space, the test set, all models. Each
figure and table names the function that computed it and the one that drew it.
"""

import numpy as np

from common.nn import recorder
from common.report import plots, sentences
from common.report import report as report_lib
from projects.sentiment_lstm import evaluate, report_reading
from projects.sentiment_lstm import report_sections as sections

SUMMARY = (
    "Is a movie review positive or negative? Recurrent networks (Chapter 10) read each review "
    "word by word; each ablation below changes one thing of one base model, on the same data, "
    "epoch budget and seed, with parameters and wall time beside every accuracy. All choices "
    "are made on a validation split carved from the training set; the test set is used once, "
    "at the end, by the model with the best validation accuracy."
)
SIGMOID_TEXT = (
    "Every model ends in one sigmoid unit, p = P(positive | review) = sigma(w^T h + b). A label "
    "y in {0, 1} given the review is a Bernoulli variable, P(y | x) = p^y (1 - p)^(1 - y), so the "
    "negative log-likelihood of the training labels is the binary cross-entropy "
    "-[y log p + (1 - y) log(1 - p)], the loss every model here minimizes: maximum likelihood "
    "(Section 5.5) with a Bernoulli output (Section 6.2.2.2). The sigmoid keeps p in (0, 1), and "
    "since log sigma(z) saturates only when the answer is already right, the gradient stays large "
    "while the model is wrong, unlike squared error on a sigmoid."
)
ABLATION_SECTIONS = {
    "cells": sections.add_cells,
    "clipping": sections.add_clipping,
    "dropout": sections.add_dropout,
    "attention": sections.add_attention,
    "curriculum": report_reading.add_curriculum,
    "length": report_reading.add_length,
}


def build_report(results):
    """Returns a `common.report.Report` with every section filled from the saved results."""
    metrics = results.metrics
    report = report_lib.Report(
        "sentiment_lstm",
        "Sentiment of IMDB reviews: recurrent networks, clipping, dropout, attention, curriculum",
        SUMMARY,
    )
    report_lib.add_run_banners(report, results)
    report.add_metric("test accuracy", metrics["test_accuracy"], headline=True)
    report.add_metric("test cross-entropy", metrics["test_loss"])
    report.add_metric("chosen model", metrics["tested_model"], fmt="{}")
    report.add_metric("its validation accuracy", metrics["chosen_validation_accuracy"])
    report.add_metric("training time (s)", metrics["training_time_seconds"], fmt="{:.0f}")
    add_data(report, results)
    report.add_section("Why a sigmoid and binary cross-entropy", SIGMOID_TEXT)
    add_baselines(report, results)
    add_headline(report, results)
    for table, rows in results.plan["tables"].items():
        if table in ABLATION_SECTIONS:
            ABLATION_SECTIONS[table](report, results, rows)
    sections.add_neighbours(report, metrics)
    add_test_results(report, metrics)
    add_all_models(report, results)
    return report


def add_data(report, results):
    config, metrics = results.config, results.metrics
    words = results.arrays["train_review_words"]
    report.add_section(
        "Data and preprocessing",
        f"{results.data_source.get('description', '')}. {metrics['train_reviews']:,} training "
        f"and {metrics['validation_reviews']:,} validation reviews (a seeded, stratified split "
        f"of the training set), {metrics['test_reviews']:,} test reviews.\n\n"
        "Standardization lowercases each review, replaces HTML tags such as <br /> with spaces "
        "and strips punctuation; TextVectorization then keeps the "
        f"{metrics['vocabulary_words']:,} most frequent words of the training split (the "
        "vocabulary is adapted on training reviews only, so validation and test words it never "
        f"saw become [UNK]). Each review becomes the ids of its {config.keep_tokens} tokens (a "
        "review's verdict tends to come at its end), padded with 0 at the end; the embedding "
        "layer masks the padding, so the recurrent layers and the attention skip it. Batches "
        "group reviews of similar length and are cut to their longest review. The median "
        f"training review has {int(np.median(words))} words; the base model of the ablations "
        f"reads the {config.keep_tokens} {config.ablation_max_length} tokens, the headline model "
        f"the {config.keep_tokens} {config.max_length}.",
    )
    report.add_figure(
        plots.histogram(np.minimum(words, 1500), bins=60, xlabel="words per review (cut at 1500)"),
        caption="Review lengths in the training split, in words.",
        computed_by=evaluate.evaluate,
        drawn_by=plots.histogram,
    )


def add_baselines(report, results):
    report.add_section(
        "Baselines first",
        "Before any recurrent network: always answering the majority class, and logistic "
        "regression (one sigmoid unit, a Keras model) on TF-IDF weighted word counts, with and "
        "without word pairs (bigrams). Bag-of-words models ignore word order, yet on IMDB they "
        "are hard to beat: a recurrent model must earn its extra parameters and time. The "
        f"regressions train for {results.config.linear_epochs} epochs at a constant rate.",
    )
    sections.add_variant_table(
        report, results.plan["tables"]["baselines"], results.metrics["variants"],
        "Same data and seed for every row.",
    )  # fmt: skip


def add_headline(report, results):
    config = results.config
    name = results.metrics["headline_variant"]
    record = results.training[name]
    summary = results.metrics["variants"][name]
    dropout = (
        f", with whole word vectors dropped at rate {config.embedding_dropout:g} in training "
        "(SpatialDropout1D on the embedding, which holds most parameters: dropout, Section 7.12)"
    )
    report.add_section(
        f"The headline model ({name})",
        f"The model the full preset is tuned for: a {config.encoder} encoder with "
        f"{config.pooling} pooling reading the {config.keep_tokens} {config.max_length} tokens "
        f"(book Chapter 10){dropout * bool(config.embedding_dropout)}. Solid: training; dashed: "
        f"validation. {record['early_stopping']['stop_reason']} "
        + sentences.early_stopping([record]),
    )
    sections.add_variant_table(report, [("headline", name)], results.metrics["variants"], "")
    first = summary["first_recorded_epoch"]
    report.add_figure(
        plots.learning_curves(record["history"], best_epoch=summary["best_epoch"] - first + 1),
        caption="Loss and accuracy per epoch; the vertical line marks the epoch kept.",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.learning_curves,
    )


def add_test_results(report, metrics):
    chosen = metrics["tested_model"]
    report.add_section(
        "Test set (used once)",
        f"The test set was touched once, after {chosen} was chosen on validation accuracy, so "
        "its accuracy is an unbiased estimate of the generalization error (Section 5.3).",
    )
    report.add_figure(
        plots.confusion_matrix(np.array(metrics["confusion"]), metrics["class_names"]),
        caption="Rows: true sentiment.",
        computed_by=evaluate.test_once,
        drawn_by=plots.confusion_matrix,
    )
    confident = metrics["confident"]
    report.add_text_samples(
        confident["right"],
        caption="The test reviews the model was surest about, and right.",
        computed_by=evaluate.confident_reviews,
    )
    report.add_text_samples(
        confident["wrong"],
        caption="The test reviews the model was surest about, and wrong (read them: some labels "
        "are debatable, some reviews are sarcastic or describe a bad film lovingly).",
        computed_by=evaluate.confident_reviews,
    )


def add_all_models(report, results):
    variants, chosen = results.metrics["variants"], results.metrics["tested_model"]
    recurrent = [results.training[n] for n, v in variants.items() if v["kind"] == "recurrent"]
    report.add_section(
        "All models",
        f"Every model trained by this run, best validation accuracy first; {chosen} was chosen. "
        "Models of different tables differ in more than their table's one change (e.g. the "
        "headline reads more tokens than the base LSTM), so compare rows within a table. "
        + sentences.early_stopping(recurrent),
    )
    order = sorted(variants, key=lambda name: -(variants[name]["val_accuracy"] or 0.0))
    sections.add_variant_table(report, [(name, name) for name in order], variants, "")
