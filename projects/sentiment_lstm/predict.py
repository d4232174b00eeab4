"""Score a new review with the tested model: `python -m projects.sentiment_lstm predict "..."`.

Training saves each recurrent model also behind a vectorizer with the training vocabulary, as
one file that reads raw text (a baseline reads raw text already); `predict` finds the run by the
same preset and config that trained it, and the model that run tested in its saved results.
"""

import json
import pathlib

import tensorflow as tf

from common.experiment import results as results_lib
from common.experiment import training
from projects.sentiment_lstm import data, model

PROJECT = "sentiment_lstm"
PREDICTOR_FILE = "predictor.keras"


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
    folder = training.run_dir(workdir, PROJECT, preset, config)
    metrics_path = folder / "results" / results_lib.METRICS_FILE
    if not metrics_path.exists():
        raise FileNotFoundError(
            f"No trained model for this preset and config ({metrics_path} is missing). Train it "
            f"first with the same flags: python -m projects.sentiment_lstm --preset {preset} "
            "(plus the same --set, --workdir and --data-dir options)."
        )
    tested = json.loads(metrics_path.read_text())["metrics"]["tested_model"]
    predictor = folder / tested / PREDICTOR_FILE
    return predictor if predictor.exists() else folder / tested / training.MODEL_FILE


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
