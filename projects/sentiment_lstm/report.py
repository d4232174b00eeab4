"""What the sentiment report shows, in the order a reader needs it."""

import numpy as np

from common.report import plots
from common.report import report as report_lib
from projects.sentiment_lstm import plan
from projects.sentiment_lstm import report_sections as sections

SIGMOID_TEXT = (
    "Every model ends in one sigmoid unit, p = P(positive | review) = sigma(w^T h + b). A label "
    "y in {0, 1} given the review is a Bernoulli variable, P(y | x) = p^y (1 - p)^(1 - y), so the "
    "negative log-likelihood of the training labels is the binary cross-entropy "
    "-[y log p + (1 - y) log(1 - p)], the loss every model here minimizes: maximum likelihood "
    "(Section 5.5) with a Bernoulli output (Section 6.2.2.2). The sigmoid keeps p in (0, 1), and "
    "since log sigma(z) saturates only when the answer is already right, the gradient stays large "
    "while the model is wrong, unlike squared error on a sigmoid."
)


def build(config, reviews, results, specs, evaluation, metrics, insights):
    """Returns a `common.report.Report` with every section filled from this run's numbers."""
    report = report_lib.Report(
        "sentiment_lstm",
        "Sentiment of IMDB reviews: recurrent networks, clipping, dropout, attention, curriculum",
        "Is a movie review positive or negative? Recurrent networks (Chapter 10) read each review "
        "word by word; each ablation below changes one thing of one base model, on the same data, "
        "epoch budget and seed, with parameters and wall time beside every accuracy. All choices "
        "are made on a validation split carved from the training set; the test set is used "
        "once, at the end, by the model with the best validation accuracy.",
    )
    report_lib.add_run_banners(report, reviews.source, results)
    chosen = metrics["chosen_variant"]
    report.add_metric("test accuracy", metrics["test_accuracy"], headline=True)
    report.add_metric("test cross-entropy", metrics["test_loss"])
    report.add_metric("chosen model", chosen, fmt="{}")
    report.add_metric("its validation accuracy", metrics["chosen_validation_accuracy"])
    report.add_metric("training time (s)", metrics["training_time_seconds"], fmt="{:.0f}")
    add_data(report, config, reviews)
    report.add_section("Why a sigmoid and binary cross-entropy", SIGMOID_TEXT)
    variants = metrics["variants"]
    add_baselines(report, config, variants)
    headline = plan.headline_spec(config).name
    add_headline(report, config, variants, results[headline], headline)
    for ablation, rows in metrics["ablations"].items():
        sections.ADD[ablation](report, config, rows, variants, results, insights)
    sections.add_neighbours(report, insights)
    add_test_results(report, reviews, evaluation, chosen, insights)
    add_all_models(report, variants, chosen)
    return report


def add_data(report, config, reviews):
    lengths = [len(text.split()) for text in reviews.train_texts]
    report.add_section(
        "Data and preprocessing",
        f"{reviews.source.describe()}. {len(reviews.train_labels):,} training and "
        f"{len(reviews.validation_labels):,} validation reviews (a seeded, stratified split of "
        f"the training set), {len(reviews.test_labels):,} test reviews.\n\n"
        "Standardization lowercases each review, replaces HTML tags such as <br /> with spaces "
        "and strips punctuation; TextVectorization then keeps the "
        f"{len(reviews.vocabulary):,} most frequent words of the training split (the vocabulary "
        "is adapted on training reviews only, so validation and test words it never saw become "
        f"[UNK]). Each review becomes the ids of its {config.keep_tokens} tokens (a review's "
        "verdict tends to come at its end), padded with 0 at the end; the "
        "embedding layer masks the padding, so the recurrent layers and the attention skip it. "
        "Batches group reviews of similar length and are cut to their longest review.",
    )
    report.add_figure(
        plots.histogram(
            np.minimum(lengths, 1500), bins=60, xlabel="words per review (cut at 1500)"
        ),
        caption=f"Review lengths in the training split; median {int(np.median(lengths))} words. "
        f"The base model reads the {config.keep_tokens} {config.max_length} tokens.",
    )


def add_baselines(report, config, variants):
    rows = [(name, name) for name in config.baselines]
    report.add_section(
        "Baselines first",
        "Before any recurrent network: always answering the majority class, and logistic "
        "regression (one sigmoid unit, a Keras model) on TF-IDF weighted word counts, with and "
        "without word pairs (bigrams). Bag-of-words models ignore word order, yet on IMDB they are "
        "hard to beat: a recurrent model must earn its extra parameters and time.",
    )
    sections.add_variant_table(report, rows, variants, "Same data and seed for every row.")


def add_headline(report, config, variants, result, name):
    stopping = result["early_stopping"]
    report.add_section(
        f"The headline model ({name})",
        f"The model the full preset is tuned for: a {config.encoder} encoder with "
        f"{config.pooling} pooling reading the {config.keep_tokens} "
        f"{config.headline_max_length} tokens (book Chapter 10)"
        + (
            f", with whole word vectors dropped at rate {config.headline_embedding_dropout:g} "
            "in training (SpatialDropout1D on the embedding, which holds most parameters: "
            "dropout, Section 7.12)"
        )
        * bool(config.headline_embedding_dropout)
        + f". Solid: training; dashed: validation. {stopping['stop_reason']}",
    )
    sections.add_variant_table(report, [("headline", name)], variants, "")
    report.add_figure(
        plots.learning_curves(result["history"], best_epoch=stopping["best_epoch_number"]),
        caption="Loss and accuracy per epoch; the vertical line marks the epoch kept.",
    )


def add_test_results(report, reviews, evaluation, chosen, insights):
    report.add_section(
        "Test set (used once)",
        f"The test set was touched once, after {chosen} was chosen on validation accuracy, so "
        "its accuracy is an unbiased estimate of the generalization error (Section 5.3).",
    )
    names = list(reviews.class_names)
    counts = plots.confusion_counts(reviews.test_labels, evaluation["predictions"], 2)
    report.add_figure(plots.confusion_matrix(counts, names), caption="Rows: true sentiment.")
    confident = insights["confident"]
    report.add_text_samples(
        confident["right"], caption="The test reviews the model was surest about, and right."
    )
    report.add_text_samples(
        confident["wrong"],
        caption="The test reviews the model was surest about, and wrong (read them: some labels "
        "are debatable, some reviews are sarcastic or describe a bad film lovingly).",
    )


def add_all_models(report, variants, chosen):
    report.add_section(
        "All models",
        f"Every model trained by this run, best validation accuracy first; {chosen} was chosen.",
    )
    order = sorted(variants, key=lambda name: -(variants[name]["val_accuracy"] or 0.0))
    sections.add_variant_table(report, [(name, name) for name in order], variants, "")
