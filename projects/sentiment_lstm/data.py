"""IMDB reviews as token ids: HTML cleaned, a vocabulary learned on the training split only.

Reviews come as raw text with HTML line breaks (`<br /><br />`). `standardize_review` lowercases,
drops the tags and the punctuation; `keras.layers.TextVectorization` then splits on whitespace and
maps each word to its rank in a vocabulary adapted on the training reviews only (validation and
test words it never saw become [UNK], as they would for a new review). Id 0 pads every review to
the same width at its end; the models mask it.
"""

import dataclasses
import math
import re

import keras
import numpy as np
import tensorflow as tf

from common.data import loaders, pipeline, sequences
from common.nn import curriculum as curriculum_lib

# An HTML tag such as <br />, <i> or </A>: "<" then a letter (so "5 < 6" is left alone).
TAG = r"<\s*/?\s*[a-zA-Z][^<>]*>"


@keras.saving.register_keras_serializable(package="sentiment_lstm")
def standardize_review(texts):
    """Lowercase, HTML tags to spaces, apostrophes dropped ("don't" -> "dont"), punctuation,
    symbols, control characters and odd spaces (e.g. the stray U+0085 "..." of some reviews) to
    plain spaces: the first step of TextVectorization, saved with it (tf.strings ops only)."""
    texts = tf.strings.lower(texts, encoding="utf-8")
    texts = tf.strings.regex_replace(texts, TAG, " ")
    texts = tf.strings.regex_replace(texts, "['`\u2019]", "")
    return tf.strings.regex_replace(texts, r"[\p{P}\p{S}\p{C}\p{Z}]", " ")


def clean_html(text):
    """A review for display: HTML tags become spaces, runs of whitespace one space."""
    return " ".join(re.sub(TAG, " ", str(text)).split())


@dataclasses.dataclass(frozen=True)
class Datasets:
    """Texts, labels (1 positive) and padded token ids of the three splits, and the vectorizer.

    `train(config)` and `validation(config)` give the batches the model of `config` reads: raw
    texts for a baseline (it vectorizes inside), token ids cut to `config.max_length` for a
    recurrent model, in the order `config.order` names.
    """

    train_texts: np.ndarray
    train_labels: np.ndarray
    train_tokens: np.ndarray
    validation_texts: np.ndarray
    validation_labels: np.ndarray
    validation_tokens: np.ndarray
    test_texts: np.ndarray  # Touched once, after training.
    test_labels: np.ndarray
    test_tokens: np.ndarray
    vectorizer: keras.layers.TextVectorization
    class_names: tuple
    source: loaders.DataSource
    keep: str = "first"  # Which end of a long review the token rows hold (config.keep_tokens).

    def cut(self, tokens, length):
        """`tokens` (rows of this object) cut to `length` tokens from the kept end."""
        return cut_tokens(tokens, length, self.keep)

    @property
    def vocabulary(self):
        return self.vectorizer.get_vocabulary()

    def steps_per_epoch(self, config):
        return math.ceil(len(self.train_labels) / config.batch_size)

    def curriculum(self, config):
        """The `CurriculumScheduler` (a callback the fit needs) of the `random` and `curriculum`
        orders, or None for `bucketed`: the shortest reviews first (book Section 8.7.6), more each
        epoch; `random` admits every review from the start, the curriculum's fair comparison."""
        if config.order == "bucketed":
            return None
        start = config.curriculum_start_fraction if config.order == "curriculum" else 1.0
        return curriculum_lib.CurriculumScheduler(
            difficulty=sequences.sequence_lengths(self.cut(self.train_tokens, config.max_length)),
            pacing=config.curriculum_pacing,
            start_fraction=start,
            full_data_epoch=config.curriculum_full_data_epoch,
            seed=config.seed,
        )

    def train(self, config, curriculum=None):
        """Training batches. A baseline: shuffled texts. `bucketed`: batches of similar lengths in
        random order (cheap, `common/data/sequences.py`); `random` and `curriculum`: the batches
        `curriculum` (from `self.curriculum(config)`) admits, trimmed to their longest review."""
        if config.variant != "recurrent":
            return text_batches(self.train_texts, self.train_labels, config.batch_size,
                                shuffle=True, seed=config.seed)  # fmt: skip
        tokens = self.cut(self.train_tokens, config.max_length)
        if config.order == "bucketed":
            return sequences.bucketed_batches(
                tokens, self.train_labels, batch_size=config.batch_size, seed=config.seed
            )
        curriculum = curriculum or self.curriculum(config)
        return curriculum.dataset(
            tokens, self.train_labels, config.batch_size, map_fn=sequences.trim_padding
        )

    def validation(self, config):
        return self.evaluation_batches("validation", config)[0]

    def evaluation_batches(self, split, config):
        """Batches of a split for the model of `config`; returns `(dataset, order)`, `order` for
        `sequences.unsort` (token batches are sorted by length: little padding), None for text."""
        texts, labels = getattr(self, f"{split}_texts"), getattr(self, f"{split}_labels")
        if config.variant != "recurrent":
            batches = text_batches(texts, labels, config.batch_size, shuffle=False, seed=0)
            return batches, None
        tokens = self.cut(getattr(self, f"{split}_tokens"), config.max_length)
        return sequences.sorted_batches(tokens, labels, batch_size=config.batch_size)


def load_datasets(config):
    """Loads IMDB, carves a stratified validation split, adapts the vocabulary on train only."""
    imdb = loaders.load_imdb(config.data_dir, allow_sample=config.allow_sample_data)
    (train_texts, train_labels), (validation_texts, validation_labels) = pipeline.split_and_limit(
        imdb.train_texts,
        imdb.train_labels,
        fraction=config.validation_fraction,
        seed=config.seed,
        limit=config.train_limit,
    )
    width, keep = config.token_width, config.keep_tokens
    # Keeping the first tokens, the vectorizer truncates; keeping the last, it must see them all.
    vectorizer = make_vectorizer(config.vocabulary_size, width if keep == "first" else None)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(train_texts).batch(512))
    return Datasets(
        train_texts, train_labels, vectorize(vectorizer, train_texts, width, keep),
        validation_texts, validation_labels, vectorize(vectorizer, validation_texts, width, keep),
        imdb.test_texts, imdb.test_labels, vectorize(vectorizer, imdb.test_texts, width, keep),
        vectorizer, imdb.class_names, imdb.source, keep,
    )  # fmt: skip


def adapt_config(config, datasets):
    """The config with `vocabulary_size` cut to the vocabulary the data gave: on a small set
    (the bundled sample) fewer words than asked for exist, and the embedding gets one row per
    word that does."""
    size = min(config.vocabulary_size, len(datasets.vocabulary))
    return dataclasses.replace(config, vocabulary_size=max(size, 10))


def make_vectorizer(max_tokens, width, **options):
    """TextVectorization with the review standardization; `width` tokens per review (padded)."""
    return keras.layers.TextVectorization(
        max_tokens=max_tokens,
        standardize=standardize_review,
        output_sequence_length=width,
        **options,
    )


def vectorize(vectorizer, texts, width=None, keep="first"):
    """Token ids of `texts` as an int32 numpy array, one padded row per text; with `width`, each
    row cut to that many tokens from the `keep` end ("first" or "last")."""
    dataset = tf.data.Dataset.from_tensor_slices(np.asarray(texts)).batch(1024)
    rows = [vectorizer(batch).numpy() for batch in dataset]
    if width is not None:
        rows = [cut_tokens(row, width, keep) for row in rows]
        rows = [np.pad(row, ((0, 0), (0, width - row.shape[1]))) for row in rows]  # Short batch.
    return np.concatenate(rows).astype("int32")


def cut_tokens(tokens, length, keep="first"):
    """Right-padded rows of token ids cut to `length` tokens: the first ones, or the last ones
    (`LastTokens`, left-aligned). Numpy in, numpy out; tensors (a tf.data map) stay tensors."""
    if keep == "first":
        return tokens[:, :length]
    if keep != "last":
        raise ValueError(f"keep must be 'first' or 'last'. Received: keep={keep!r}")
    cut = LastTokens(length)(tokens)
    return keras.ops.convert_to_numpy(cut) if isinstance(tokens, np.ndarray) else cut


@keras.saving.register_keras_serializable(package="sentiment_lstm")
class LastTokens(keras.layers.Layer):
    """Keeps the last `length` tokens of each right-padded row of ids, left-aligned.

    A reviewer's verdict tends to come at the end ("... in short, avoid it"), so a model that
    reads a fixed number of tokens may do better reading the last ones (measured in config.py).

    Formula:
        out[i, j] = x[i, max(n_i - length, 0) + j] if j < min(n_i, length) else 0,
        with n_i the number of nonzero ids in row i.

    Example:

    ```python
    LastTokens(2)([[5, 6, 7, 0], [8, 0, 0, 0]])  # [[6, 7], [8, 0]]
    ```

    Args:
        length: Tokens kept per row (the output width). Must be >= 1.
    """

    def __init__(self, length, **kwargs):
        super().__init__(**kwargs)
        if int(length) < 1:
            raise ValueError(f"length must be >= 1. Received: length={length}")
        self.length = int(length)

    def call(self, tokens):
        tokens = keras.ops.pad(keras.ops.convert_to_tensor(tokens), [[0, 0], [0, self.length]])
        counts = keras.ops.sum(keras.ops.cast(tokens > 0, "int32"), axis=1)
        positions = keras.ops.arange(self.length, dtype="int32")
        start = keras.ops.maximum(counts - self.length, 0)
        kept = keras.ops.take_along_axis(tokens, start[:, None] + positions[None, :], axis=1)
        real = positions[None, :] < keras.ops.minimum(counts, self.length)[:, None]
        return keras.ops.where(real, kept, keras.ops.zeros_like(kept))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.length)

    def get_config(self):
        return {**super().get_config(), "length": self.length}


def text_batches(texts, labels, batch_size, *, shuffle, seed):
    """Raw review texts and labels, for the models that vectorize inside (the baselines)."""
    return pipeline.make_pipeline(
        np.asarray(texts), labels, batch_size=batch_size, shuffle=shuffle, seed=seed
    )
