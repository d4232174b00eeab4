"""The models: recurrent encoders over word embeddings, and logistic-regression baselines.

Every model ends in one sigmoid unit, P(positive | review): with a Bernoulli output, minimizing
binary cross-entropy is maximizing the likelihood of the training labels (book Section 6.2.2.2).
A recurrent model reads the embedded words one step at a time (Chapter 10) and summarizes the
review by its last state or by attention over all states; padded steps are masked.
"""

import dataclasses

import keras

from common.nn import attention, gradients
from projects.sentiment_lstm import config as config_lib
from projects.sentiment_lstm import data, ngrams

CELLS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def model_name(config):
    """A folder-friendly name of the model of `config`: the baseline's name, or e.g.
    "lstm-last-io-256" or "simple_rnn-last-io-256-clip1" for a recurrent one."""
    if config.variant != "recurrent":
        return config.variant
    dropout = {"none": "nodrop", "input_output": "io", "recurrent": "rec"}
    parts = [config.encoder, config.pooling, dropout[config.dropout_placement]]
    parts.append(str(config.max_length))
    if config.optimizer != "adam":
        parts.append(config.optimizer)
    if config.global_clipnorm is not None:
        parts.append(f"clip{config.global_clipnorm:g}")
    if config.order != "bucketed":
        parts.append(config.order)
    if config.ngram_path:
        parts.append("ngrams")
    if config.embedding_dropout:
        parts.append(f"embdrop{config.embedding_dropout:g}")
    return "-".join(parts)


def build_model(config, train_texts=None):
    """The model of `config`: a recurrent network, or a baseline adapted on `train_texts`."""
    if config.variant != "recurrent":
        return build_linear(config, train_texts)
    return build_recurrent(config)


def build_recurrent(config):
    """Embedding (padding masked) -> recurrent encoder -> pooling -> sigmoid (not compiled)."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(
        config.vocabulary_size, config.embedding_size, mask_zero=True, name="embedding"
    )(tokens)
    if config.embedding_dropout:
        x = keras.layers.SpatialDropout1D(config.embedding_dropout, name="word_dropout")(x)
    cell, bidirectional = config_lib.ENCODERS[config.encoder]
    rate, placement = config.dropout_rate, config.dropout_placement
    encoder = CELLS[cell](
        config.units,
        return_sequences=config.pooling == "attention",
        dropout=rate if placement == "input_output" else 0.0,
        recurrent_dropout=rate if placement == "recurrent" else 0.0,
        name=cell,
    )
    if bidirectional:
        encoder = keras.layers.Bidirectional(encoder, name=f"bidirectional_{cell}")
    states = encoder(x)
    if config.pooling == "attention":
        pooled, _ = attention.AttentionPooling(
            config.attention_units, return_weights=True, name="attention"
        )(states)
    else:
        pooled = states
    if placement == "input_output":
        pooled = keras.layers.Dropout(rate, name="output_dropout")(pooled)
    if config.ngram_path:
        logit = keras.layers.Add(name="wide_and_deep")(
            [
                keras.layers.Dense(1, name="recurrent_logit")(pooled),
                ngrams.linear_logit(tokens, config.vocabulary_size, config.ngram_buckets),
            ]
        )
        probability = keras.layers.Activation("sigmoid", name="positive")(logit)
    else:
        probability = keras.layers.Dense(1, activation="sigmoid", name="positive")(pooled)
    # Logs the norm of the whole gradient at every step (before any clipping).
    name = model_name(config).replace("-", "_")
    return gradients.GradientNormModel(tokens, probability, name=name)


def build_linear(config, train_texts):
    """Logistic regression on TF-IDF word (`bag_of_words`) or word + bigram (`bigrams`) counts.

    The vocabulary and IDF weights are adapted on the training texts only. The model reads raw
    text, so it can be saved and used on its own.
    """
    bigrams = config.variant == "bigrams"
    vectorizer = data.make_vectorizer(
        config.bigram_vocabulary_size if bigrams else config.vocabulary_size,
        None,
        ngrams=2 if bigrams else None,
        output_mode="tf_idf",
        name="tf_idf",
    )
    vectorizer.adapt(data.text_batches(train_texts, None, 512, shuffle=False, seed=0))
    text = keras.Input(shape=(), dtype="string", name="text")
    probability = keras.layers.Dense(1, activation="sigmoid", name="positive")(vectorizer(text))
    return keras.Model(text, probability, name=config.variant)


def attention_model(model):
    """A model from token ids to the attention weights of `model`, or None if it has none."""
    try:
        attention = model.get_layer("attention")
    except ValueError:
        return None
    return keras.Model(model.inputs, attention.output[1])


def text_model(model, vocabulary, length, keep="first"):
    """`model` behind a vectorizer with the same vocabulary: raw text in, probability out; it
    reads the first or the last `length` tokens of the text, as the model did in training.

    The model is cloned without its optimizer, so the saved file holds only what predicting needs.
    """
    width = length if keep == "first" else None
    vectorizer = data.make_vectorizer(None, width, vocabulary=vocabulary, name="vectorizer")
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    text = keras.Input(shape=(), dtype="string", name="text")
    tokens = vectorizer(text)
    if keep == "last":
        tokens = data.LastTokens(length, name="last_tokens")(tokens)
    return keras.Model(text, clone(tokens), name="sentiment")


def hyperparameters(hp, config):
    """Keras Tuner's search space: samples the encoder, its width, the embedding size, dropout,
    the learning rate and the review length into a config of a recurrent model."""
    return dataclasses.replace(
        config,
        variant="recurrent",
        units=hp.Choice("units", [32, 64, 128]),
        embedding_size=hp.Choice("embedding_size", [32, 64, 128]),
        dropout_rate=hp.Float("dropout_rate", 0.0, 0.5, step=0.1),
        learning_rate=hp.Float("learning_rate", 3e-4, 3e-3, sampling="log"),
        encoder=hp.Choice("encoder", list(config_lib.ENCODERS)),
        max_length=hp.Choice("max_length", sorted(config.length_choices)),
    )
