"""Score a new review with the tested model: `python -m projects.sentiment_lstm predict "..."`.

Training saves each recurrent model also behind a vectorizer with the training vocabulary, as
one file that reads raw text (a baseline reads raw text already); `predict` finds the run by the
same preset and config that trained it, and the model that run tested in its saved results.
"""

import pathlib

import tensorflow as tf

from common.experiment import skeleton, training
from projects.sentiment_lstm import data, model

PROJECT = "sentiment_lstm"
PREDICTOR_FILE = "predictor.keras"
NO_WORDS = "nan\tno words"  # predict --file's line for a text with no word to score.


def save_predictor(folder, trained, config, datasets):
    """Saves a recurrent model as text -> P(positive) in `folder` (a baseline is one already)."""
    if config.variant != "recurrent":
        return None
    predictor = model.text_model(trained, datasets.vocabulary, config.max_length, datasets.keep)
    path = pathlib.Path(folder) / PREDICTOR_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    predictor.save(path)
    return path


def check_text(text):
    """Raises ValueError with a clear message unless `text` has a word left to score."""
    if text is None or not str(text).strip():
        raise ValueError(
            'Nothing to score: the text is empty. Give a review, e.g. predict "A moving, '
            'beautifully acted film."'
        )
    words = data.standardize_review(tf.constant([str(text)])).numpy()[0].decode().split()
    if not words:
        raise ValueError(
            f"Nothing to score: {str(text)[:80]!r} has no words once HTML tags and punctuation "
            "are removed."
        )


def probability(predictor, text):
    """P(positive | text) from a saved predictor (raises ValueError for an empty text)."""
    check_text(text)
    return float(predictor.predict(tf.constant([str(text)]), verbose=0)[0, 0])


def predictor_path(config, workdir, preset):
    """The text-in model the run with this preset and config tested (nothing is created)."""
    folder = skeleton.tested_model_folder(PROJECT, config, workdir, preset)
    predictor = folder / PREDICTOR_FILE
    return predictor if predictor.exists() else folder / training.MODEL_FILE


def predict(config, workdir, *, text, preset="custom"):
    """The CLI's `predict`: loads the model trained with the same flags and scores `text`."""
    check_text(text)  # Before loading anything: an empty text fails at once.
    path = predictor_path(config, workdir, preset)
    value = probability(training.load_model_file(path), text)
    label = "positive" if value >= 0.5 else "negative"
    return {
        "probability": value,
        "label": label,
        "summary": f"P(positive) = {value:.3f}: {label}",
    }


def batch_scorer(config, workdir, *, preset="custom"):
    """The CLI's `predict --file`: loads the model once and returns `score(texts)`, which gives
    one line per text, in order: "P(positive)<TAB>label" ("0.9731\tpositive"), or
    "nan<TAB>no words" for a text with no word once HTML and punctuation are removed (an empty
    line included), so output line N always answers input line N."""
    predictor = training.load_model_file(predictor_path(config, workdir, preset))

    def score(texts):
        words = data.standardize_review(tf.constant(list(texts))).numpy()
        # Every text goes through the model, so each full batch has one shape (no retracing);
        # the values of texts with no words are dropped.
        values = predictor.predict_on_batch(tf.constant(list(texts)))[:, 0].tolist()
        return [
            result_line(value) if text.split() else NO_WORDS
            for text, value in zip(words, values, strict=True)
        ]

    return score


def result_line(value):
    """One line of `predict --file`'s output: the probability and the label, tab separated."""
    return f"{value:.4f}\t{'positive' if value >= 0.5 else 'negative'}"
