"""Score a new review with the chosen model: `python -m projects.sentiment_lstm predict "..."`.

`run` saves the model it chose, behind a vectorizer with the training vocabulary, as one file
that reads raw text; `predict` finds it by the same preset and config that trained it.
"""

import pathlib

import tensorflow as tf

from common.experiment import config as config_lib
from common.experiment import training
from projects.sentiment_lstm import data, model

PROJECT = "sentiment_lstm"
PREDICTOR_FILE = "predictor.keras"


def save_predictor(folder, chosen_model, spec, reviews):
    """Saves the chosen model as text -> P(positive) (a baseline already reads raw text)."""
    if spec is not None:
        chosen_model = model.text_model(
            chosen_model, reviews.vocabulary, spec.max_length, reviews.keep
        )
    path = pathlib.Path(folder) / PREDICTOR_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    chosen_model.save(path)
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
    """Where `run` with this preset and config saved its predictor (nothing is created)."""
    fingerprint = config_lib.fingerprint(config)
    return pathlib.Path(workdir) / PROJECT / f"{preset}-{fingerprint}" / PREDICTOR_FILE


def predict(config, workdir, *, text, preset="custom"):
    """The CLI's `predict`: loads the model trained with the same flags and scores `text`."""
    check_text(text)  # Before loading anything: an empty text fails at once.
    path = predictor_path(config, workdir, preset)
    if not path.exists():
        raise FileNotFoundError(
            f"No trained model for this preset and config ({path} is missing). Train it first "
            f"with the same flags: python -m projects.sentiment_lstm --preset {preset} "
            "(plus the same --set, --workdir and --data-dir options)."
        )
    value = probability(training.load_model_file(path), text)
    label = "positive" if value >= 0.5 else "negative"
    return {
        "probability": value,
        "label": label,
        "summary": f"P(positive) = {value:.3f}: {label}",
    }
