"""An encoder that turns an image into a grid of feature vectors, and a recurrent decoder that
writes a caption word by word, looking at the grid through additive attention.

The decoder is a conditional language model (book Section 10.2.4): an embedding of the previous
word feeds an LSTM or GRU whose first state is computed from the image (Show and Tell, Vinyals
et al., 2015); at every step, additive (Bahdanau) attention scores each grid cell against the
recurrent state, v^T tanh(W h_t + U f_l), and averages the cells by the softmax of the scores
into a context vector (Section 12.4.5.1; Show, Attend and Tell, Xu et al., 2015); a softmax over
the vocabulary, its end token included, gives the next word. The attention is computed from the
state after the previous word (Luong et al.'s placement), so one fused recurrent pass covers the
whole caption in training. Without attention, the first state is all the decoder sees of the
image. The length head, when on, also regresses the number of words still to come.
"""

import dataclasses

import keras

from common.nn import attention, efficientnet

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def encoder_input_shape(config):
    """The image (small encoder) or the pretrained feature grid (cells, channels)."""
    if config.encoder == "efficientnet":
        side = config.image_size // 32
        return (side * side, efficientnet.HEAD_FILTERS)
    return (config.image_size, config.image_size, 3)


def build_encoder(config):
    """Image -> (cells, channels). Small: blocks of a stride-2 3x3 convolution, batch norm and
    ReLU, trained with the decoder, until the grid is at most 8 cells a side. Pretrained: the
    cached EfficientNet-Lite0 grid passes through."""
    inputs = keras.Input(shape=encoder_input_shape(config), name="image")
    if config.encoder == "efficientnet":
        return keras.Model(inputs, keras.layers.Identity(name="grid")(inputs), name="encoder")
    x = keras.layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    for block in range(config.small_encoder_blocks()):
        filters = min(config.small_filters * 2**block, 8 * config.small_filters)
        x = keras.layers.Conv2D(
            filters, 3, strides=2, padding="same", use_bias=False, name=f"block{block}_conv"
        )(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"block{block}_bn")(x)
        x = keras.layers.ReLU(name=f"block{block}_relu")(x)
    grid = keras.layers.Reshape((-1, x.shape[-1]), name="grid")(x)
    return keras.Model(inputs, grid, name="encoder")


def build_model(config):
    """The captioner for teacher forcing: {image, words in} -> next-word probabilities
    (and, with `length_head`, the remaining-length estimate)."""
    image = keras.Input(shape=encoder_input_shape(config), name="image")
    words = keras.Input(shape=(None,), dtype="int32", name="words")
    grid = keras.layers.Dense(config.feature_units, activation="relu", name="feature_projection")(
        build_encoder(config)(image)
    )
    if grid_layer(config) == "grid_positions":
        grid = attention.PositionEmbedding(name="grid_positions")(grid)
    summary = keras.layers.GlobalAveragePooling1D(name="image_summary")(grid)
    states = [keras.layers.Dense(config.units, activation="tanh", name="init_h")(summary)]
    if config.cell == "lstm":
        states.append(keras.layers.Dense(config.units, activation="tanh", name="init_c")(summary))
    embedded = keras.layers.Embedding(
        config.vocabulary_size, config.embedding_size, mask_zero=True, name="embedding"
    )(words)
    if config.dropout_placement == "input":
        embedded = keras.layers.Dropout(config.dropout_rate, name="input_dropout")(embedded)
    sequence, *_ = recurrent_layer(config)(embedded, initial_state=states)
    hidden = attend(config, sequence, grid)[0] if config.attention else sequence
    outputs = {"next_word": word_head(config, hidden)}
    if config.length_head:
        outputs["remaining"] = keras.layers.Dense(1, name="remaining")(sequence)
    name = f"captioner_{config.encoder}_{config.cell}" + "_attention" * config.attention
    return keras.Model({"image": image, "words": words}, outputs, name=name)


def grid_layer(config):
    """The layer whose output the attention reads: the projected grid, plus a learned vector per
    cell for the small encoder, whose cells see 15 pixels and so hardly know where they are
    (EfficientNet's deep cells see the whole photo)."""
    small = config.encoder == "small" and config.small_positions
    return "grid_positions" if small else "feature_projection"


def recurrent_layer(config):
    """The LSTM or GRU: dropout on the recurrent state (`dropout_placement="recurrent"`) masks
    the same units of h at every step (Gal and Ghahramani, 2016), unlike dropout on its input."""
    recurrent = config.dropout_rate if config.dropout_placement == "recurrent" else 0.0
    return CELLS[config.cell](
        config.units,
        return_sequences=True,
        return_state=True,
        recurrent_dropout=recurrent,
        name="decoder",
    )


def attend(config, sequence, grid):
    """Additive attention of every step's state over the grid; returns ([state, context], the
    attention weights (batch, steps, cells))."""
    query = keras.layers.Dense(config.attention_units, name="attention_query")(sequence)
    key = keras.layers.Dense(config.attention_units, name="attention_key")(grid)
    context, weights = keras.layers.AdditiveAttention(name="attention")(
        [query, grid, key], return_attention_scores=True
    )
    return keras.layers.Concatenate(name="state_and_context")([sequence, context]), weights


def word_head(config, hidden):
    """A tanh layer, dropout, then the softmax over the vocabulary (the end token included)."""
    x = keras.layers.Dense(config.embedding_size, activation="tanh", name="output_hidden")(hidden)
    if config.dropout_placement != "none":
        x = keras.layers.Dropout(config.dropout_rate, name="output_dropout")(x)
    return keras.layers.Dense(config.vocabulary_size, activation="softmax", name="next_word")(x)


@keras.saving.register_keras_serializable(package="image_captioning")
class MaskedAccuracy(keras.metrics.Mean):
    """The share of next-word predictions that are right, over real words only: padding (target
    id 0) counts neither as right nor as wrong."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = keras.ops.cast(y_true, "int32")
        real = keras.ops.cast(y_true != 0, "float32")
        right = keras.ops.cast(keras.ops.argmax(y_pred, axis=-1) == y_true, "float32")
        return super().update_state(right, sample_weight=real)


@keras.saving.register_keras_serializable(package="image_captioning")
def masked_squared_error(y_true, y_pred):
    """(remaining words - estimate)^2 at each position, zero at padding (a target of -1).

    Per position, like the next-word cross-entropy, so that `fit` averages both over the real
    words of the batch (the padding mask travels with the decoder's outputs). The estimate
    comes as (batch, steps, 1) from the head, or as (batch, steps) when Keras' loss wrapper has
    already matched it to the target's rank, as `fit` does."""
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    if len(y_pred.shape) == len(y_true.shape) + 1:
        y_pred = keras.ops.squeeze(y_pred, axis=-1)
    real = keras.ops.cast(y_true >= 0, y_pred.dtype)
    return keras.ops.square(y_true - y_pred) * real


def hyperparameters(hp, config):
    """Keras Tuner's search space: sampled sizes, dropout and learning rate, as a config."""
    return dataclasses.replace(
        config,
        embedding_size=hp.Choice("embedding_size", [128, 256]),
        units=hp.Choice("units", [256, 512]),
        attention_units=hp.Choice("attention_units", [128, 256]),
        dropout_rate=hp.Float("dropout_rate", 0.0, 0.5, step=0.1),
        learning_rate=hp.Float("learning_rate", 3e-4, 3e-3, sampling="log"),
    )
