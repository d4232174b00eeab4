"""IMDB sentiment: our headline recurrent model against keras-io's `bidirectional_lstm_imdb`
recipe, same machine, same split, one run. Target: >= 89% test accuracy within 15 minutes of
training.

The keras-io recipe reads `keras.datasets.imdb` (its own word index); offline, it gets the same
thing from our vectorizer: the 20,000 most frequent training words, the last 200 tokens of each
review, padded at the front (`pad_sequences`' defaults), no masking, batch 32, 2 epochs. Both
train on our 22,500 training reviews and are scored on the 25,000 test reviews.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from benchmarks import runner
from common.data import pipeline
from common.experiment import config as config_lib
from projects.sentiment_lstm import config as project_config
from projects.sentiment_lstm import data, model, train

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
    """The headline recurrent model (the config's own), then the bigram logistic regression
    (the plan's `bigrams` model: the config with its baseline fields changed)."""
    bigrams = train.plan(dataclasses.replace(config, baselines=("bigrams",))).models["bigrams"]

    def compiled(model_config):
        network = model.build_model(model_config, reviews.train_texts)
        train.compile_model(network, model_config, reviews)
        return network

    return [
        runner.Configuration(
            f"ours ({model.model_name(config)})",
            f"projects/sentiment_lstm headline model, {preset} preset",
            lambda: compiled(config),
            config.epochs,
            reviews.train(config),
            reviews.validation(config),
            reviews.evaluation_batches("test", config)[0],
            len(reviews.train_labels),
        ),
        runner.Configuration(
            "ours (bigram logistic regression)",
            "projects/sentiment_lstm baseline: TF-IDF of words and word pairs, one sigmoid unit",
            lambda: compiled(bigrams),
            bigrams.epochs,
            reviews.train(bigrams),
            reviews.validation(bigrams),
            reviews.evaluation_batches("test", bigrams)[0],
            len(reviews.train_labels),
        ),
    ]


def run(preset="full", data_dir=None, seed=0):
    config = config_lib.from_preset(project_config.Config, preset, data_dir=data_dir, seed=seed)
    reviews = data.load_datasets(config)
    config = data.adapt_config(config, reviews)
    rows = [
        keras_io_configuration(reviews, config, preset),
        *our_configurations(reviews, config, preset),
    ]
    results = [runner.run_configuration(row, TARGETS, seed) for row in rows]
    results = runner.ratios(results, REFERENCE)
    return runner.write(
        "sentiment_lstm", results, TARGETS, reviews.source.as_dict(), config_lib.to_dict(config)
    )
