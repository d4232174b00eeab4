"""IMDB sentiment: our headline recurrent model against keras-io's `bidirectional_lstm_imdb`
recipe, same machine, same split, one run. Target: >= 89% test accuracy within 15 minutes of
training.

The keras-io recipe reads `keras.datasets.imdb` (its own word index); offline, it gets the same
thing from our vectorizer: the 20,000 most frequent training words, the last 200 tokens of each
review, padded at the front (`pad_sequences`' defaults), no masking, batch 32, 2 epochs. Both
train on our 22,500 training reviews and are scored on the 25,000 test reviews.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from benchmarks import runner
from common.data import pipeline
from common.experiment import config as config_lib
from projects.sentiment_lstm import config as project_config
from projects.sentiment_lstm import data, model, plan, train

TARGETS = (0.85, 0.88, 0.89)
REFERENCE = "keras-io bidirectional_lstm_imdb"
KERAS_IO = dict(vocabulary_size=20_000, max_length=200, batch_size=32, epochs=2)


def keras_io_bidirectional_lstm():
    """keras-io examples/nlp/bidirectional_lstm_imdb.py: two stacked 64-unit BiLSTMs, Adam."""
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(KERAS_IO["vocabulary_size"], 128)(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True))(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64))(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    network = keras.Model(inputs, outputs)
    network.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return network


def keras_io_tokens(reviews, texts):
    """The recipe's input: at most the last 200 token ids, zeros in front (pad_sequences)."""
    vocabulary = reviews.vocabulary[: KERAS_IO["vocabulary_size"]]
    vectorizer = data.make_vectorizer(None, None, vocabulary=vocabulary)
    rows = []
    for batch in tf.data.Dataset.from_tensor_slices(np.asarray(texts)).batch(1024):
        rows += [row[row > 0] for row in vectorizer(batch).numpy()]
    return keras.utils.pad_sequences(rows, maxlen=KERAS_IO["max_length"])


def keras_io_configuration(reviews, config, preset):
    size = KERAS_IO["batch_size"]
    pipelines = [
        pipeline.make_pipeline(
            keras_io_tokens(reviews, texts), labels, batch_size=size, shuffle=shuffle,
            seed=config.seed,
        )
        for texts, labels, shuffle in (
            (reviews.train_texts, reviews.train_labels, True),
            (reviews.validation_texts, reviews.validation_labels, False),
            (reviews.test_texts, reviews.test_labels, False),
        )
    ]  # fmt: skip
    return runner.Configuration(
        REFERENCE,
        "keras-io bidirectional_lstm_imdb recipe (20k words, 200 tokens, 2x BiLSTM 64, batch 32)",
        keras_io_bidirectional_lstm,
        KERAS_IO["epochs"] if preset == "full" else config.epochs,
        *pipelines,
        len(reviews.train_labels),
    )


def our_configurations(reviews, config, preset):
    """The headline recurrent model, then the bigram logistic regression baseline."""
    spec = plan.headline_spec(config)
    steps = math.ceil(len(reviews.train_labels) / config.batch_size)
    train_data, _ = data.training_batches(reviews, spec.max_length, config)

    def evaluation(split):
        tokens, labels = getattr(reviews, f"{split}_tokens"), getattr(reviews, f"{split}_labels")
        return data.evaluation_batches(
            tokens, labels, spec.max_length, config.batch_size, reviews.keep
        )[0]

    texts = {
        split: data.text_batches(
            getattr(reviews, f"{split}_texts"), getattr(reviews, f"{split}_labels"),
            config.batch_size, shuffle=split == "train", seed=config.seed,
        )
        for split in ("train", "validation", "test")
    }  # fmt: skip
    return [
        runner.Configuration(
            f"ours ({spec.name})",
            f"projects/sentiment_lstm headline model, {preset} preset",
            lambda: model.build_recurrent(config, spec, steps),
            config.epochs,
            train_data,
            evaluation("validation"),
            evaluation("test"),
            len(reviews.train_labels),
        ),
        runner.Configuration(
            "ours (bigram logistic regression)",
            "projects/sentiment_lstm baseline: TF-IDF of words and word pairs, one sigmoid unit",
            lambda: model.build_linear(config, train.LINEAR_NGRAMS["bigrams"], reviews.train_texts),
            config.linear_epochs,
            texts["train"],
            texts["validation"],
            texts["test"],
            len(reviews.train_labels),
        ),
    ]


def run(preset="full", data_dir=None, seed=0):
    config = config_lib.from_preset(project_config.Config, preset, data_dir=data_dir, seed=seed)
    reviews = data.load_reviews(config)
    rows = [
        keras_io_configuration(reviews, config, preset),
        *our_configurations(reviews, config, preset),
    ]
    results = [runner.run_configuration(row, TARGETS, seed) for row in rows]
    results = runner.ratios(results, REFERENCE)
    return runner.write(
        "sentiment_lstm", results, TARGETS, reviews.source.as_dict(), config_lib.to_dict(config)
    )
